// Shared by the gRPC suites: a JSON-coded test service on real grpc-js
// servers bound to 127.0.0.1, and promise helpers for each call type.
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';

export type Pkg = typeof import('@tracewire/grpc');

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const PARENT_ID = 'b7ad6b7169203331';
export const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

export const SERVICE_NAME = 'tracewire.test.Echo';
export const PATHS = {
  unary: `/${SERVICE_NAME}/Unary`,
  stream: `/${SERVICE_NAME}/Stream`,
  upload: `/${SERVICE_NAME}/Upload`,
  chat: `/${SERVICE_NAME}/Chat`,
};

// biome-ignore lint/suspicious/noExplicitAny: JSON messages of any shape
type Json = any;
const encode = (value: Json) => Buffer.from(JSON.stringify(value));
const decode = (buffer: Buffer) => JSON.parse(buffer.toString('utf8')) as Json;
const coding = {
  requestSerialize: encode,
  requestDeserialize: decode,
  responseSerialize: encode,
  responseDeserialize: decode,
};

export const SERVICE: grpc.ServiceDefinition & Record<Method, grpc.MethodDefinition<object, object>> = {
  unary: { path: PATHS.unary, requestStream: false, responseStream: false, ...coding },
  stream: { path: PATHS.stream, requestStream: false, responseStream: true, ...coding },
  upload: { path: PATHS.upload, requestStream: true, responseStream: false, ...coding },
  chat: { path: PATHS.chat, requestStream: true, responseStream: true, ...coding },
};

/** What a request asks the test server to do. */
export interface Ask {
  /** End the call with this status code (OK when absent). */
  code?: number;
  details?: string;
  /** Throw from the handler instead. */
  throws?: boolean;
  /** Wait before answering (ms). */
  delayMs?: number;
  /** Make a nested Unary call to this server from inside the handler, through `nested`. */
  nest?: boolean;
  /** Response metadata to send: initial metadata (header) and trailers. */
  header?: Record<string, string>;
  trailer?: Record<string, string>;
  /** Stream: number of messages, and the wait between them. */
  count?: number;
  intervalMs?: number;
}

/** What the server saw: the active span's ids in the handler, the metadata it got. */
export interface Seen {
  traceId?: string;
  spanId?: string;
  traceparent?: string[];
  nestedTraceId?: string;
}

type Method = 'unary' | 'stream' | 'upload' | 'chat';
export type Handlers = Partial<Record<Method, grpc.UntypedHandleCall>>;

function active(): Pick<Seen, 'traceId' | 'spanId'> {
  const ctx = trace.getActiveSpan()?.spanContext();
  return { traceId: ctx?.traceId, spanId: ctx?.spanId };
}

function toMetadata(record: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(record)) metadata.set(key, value);
  return metadata;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(ask: Ask): grpc.ServiceError {
  return Object.assign(new Error(ask.details ?? 'failed'), {
    code: ask.code as number,
    details: ask.details ?? 'failed',
    metadata: new grpc.Metadata(),
  });
}

async function answer(
  call: grpc.ServerUnaryCall<Ask, Seen>,
  callback: grpc.sendUnaryData<Seen>,
  nested: () => EchoClient | undefined,
): Promise<void> {
  const ask = call.request;
  const seen: Seen = { ...active(), traceparent: call.metadata.get('traceparent') as string[] };
  if (ask.delayMs) await sleep(ask.delayMs);
  if (ask.nest) {
    const reply = await unary(nested() as EchoClient, {});
    seen.nestedTraceId = reply.response?.traceId;
  }
  if (ask.header) call.sendMetadata(toMetadata(ask.header));
  // The span must still be active after the awaits.
  if (ask.code) callback(fail(ask));
  else callback(null, { ...seen, ...active() }, ask.trailer && toMetadata(ask.trailer));
}

/** The default handlers: each reports what it saw and obeys the request's `Ask`. */
export function defaultHandlers(nested: () => EchoClient | undefined): Handlers {
  return {
    unary: ((call: grpc.ServerUnaryCall<Ask, Seen>, callback: grpc.sendUnaryData<Seen>) => {
      // A synchronous throw: grpc-js turns it into UNKNOWN.
      if (call.request.throws) throw new RangeError('handler threw');
      void answer(call, callback, nested);
    }) as grpc.handleUnaryCall<Ask, Seen>,
    stream: (async (call: grpc.ServerWritableStream<Ask, Seen>) => {
      const ask = call.request;
      const count = ask.count ?? 3;
      for (let i = 0; i < count && !call.cancelled; i++) {
        if (i > 0 && ask.intervalMs) await sleep(ask.intervalMs);
        call.write({ ...active() });
      }
      if (ask.code) call.emit('error', fail(ask));
      else call.end();
    }) as grpc.handleServerStreamingCall<Ask, Seen>,
    upload: ((call: grpc.ServerReadableStream<Ask, Seen>, callback: grpc.sendUnaryData<Seen>) => {
      let n = 0;
      call.on('data', () => n++);
      call.on('end', () => callback(null, { ...active(), traceparent: [String(n)] }));
    }) as grpc.handleClientStreamingCall<Ask, Seen>,
    chat: ((call: grpc.ServerDuplexStream<Ask, Seen>) => {
      call.on('data', () => call.write({ ...active() }));
      call.on('end', () => call.end());
    }) as grpc.handleBidiStreamingCall<Ask, Seen>,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a generic client's methods are untyped
export type EchoClient = grpc.Client & Record<Method, (...args: any[]) => any>;
export const EchoClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => EchoClient;

export interface Running {
  port: number;
  address: string;
  client(interceptors?: grpc.Interceptor[]): EchoClient;
  close(): Promise<void>;
}

/** A grpc-js server on 127.0.0.1, any free port, with these interceptors and handlers. */
export async function startServer(
  interceptors: grpc.ServerInterceptor[],
  handlers?: (nested: () => EchoClient | undefined) => Handlers,
  nestedInterceptors: grpc.Interceptor[] = [],
): Promise<Running> {
  let nestedClient: EchoClient | undefined;
  const server = new grpc.Server({ interceptors });
  server.addService(SERVICE, (handlers ?? defaultHandlers)(() => nestedClient) as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const clients: EchoClient[] = [];
  const client = (clientInterceptors: grpc.Interceptor[] = []) => {
    const made = new EchoClient(address, grpc.credentials.createInsecure(), { interceptors: clientInterceptors });
    clients.push(made);
    return made;
  };
  nestedClient = client(nestedInterceptors);
  return {
    port,
    address,
    client,
    close: async () => {
      for (const made of clients) made.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

export interface UnaryResult {
  error?: grpc.ServiceError;
  response?: Seen;
  /** The active span's ids when the callback ran. */
  callbackSpanId?: string;
}

/** One unary call; never rejects. */
export function unary(
  client: EchoClient,
  ask: Ask,
  metadata: grpc.Metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<UnaryResult> {
  return new Promise((resolve) => {
    client.unary(ask, metadata, options, (error: grpc.ServiceError | null, response?: Seen) => {
      resolve({ error: error ?? undefined, response, callbackSpanId: trace.getActiveSpan()?.spanContext().spanId });
    });
  });
}

export interface StreamResult {
  messages: Seen[];
  error?: grpc.ServiceError;
  status?: grpc.StatusObject;
}

/** A server-streaming call read to its end; `onMessage` may cancel it. */
export function stream(
  client: EchoClient,
  ask: Ask,
  onMessage?: (call: grpc.ClientReadableStream<Seen>, index: number) => void,
  options: grpc.CallOptions = {},
): Promise<StreamResult> {
  return new Promise((resolve) => {
    const call: grpc.ClientReadableStream<Seen> = client.stream(ask, new grpc.Metadata(), options);
    const result: StreamResult = { messages: [] };
    call.on('data', (message: Seen) => {
      result.messages.push(message);
      onMessage?.(call, result.messages.length - 1);
    });
    call.on('error', (error: grpc.ServiceError) => {
      result.error = error;
    });
    call.on('status', (status: grpc.StatusObject) => {
      result.status = status;
      // 'status' may come before the last 'error'; let the stream settle.
      setImmediate(() => resolve(result));
    });
  });
}

export const wait = sleep;
