// Test helpers: an HTTP server that records what exporters send it, a port
// nothing listens on, and an exporter that keeps spans across shutdown.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

// The demo's decoder, itself checked against OTel's serializers (examples/demo/test/otlp-proto.test.ts).
// biome-ignore format: biome cannot parse a trailing comma in an import type's attributes
type ProtoModule = typeof import('../../../examples/demo/src/otlp-proto.mjs', { with: { 'resolution-mode': 'import' } });
export type OtlpRequest = ReturnType<ProtoModule['otlpJsonFromProtobuf']>;

export interface Received {
  method: string;
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Capture {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers every request 200 `{}` (a valid OTLP/JSON, Zipkin and Jaeger reply) and records it. */
export async function startCapture(): Promise<Capture> {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({
      method: req.method ?? '',
      path: req.url ?? '',
      contentType: String(req.headers['content-type'] ?? ''),
      headers: req.headers,
      body,
    });
    // An empty OTLP response in the request's encoding (`{}` is also a valid Zipkin and Jaeger reply).
    if (String(req.headers['content-type']).startsWith('application/x-protobuf')) {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An OTLP/HTTP request's body, protobuf or JSON, as the object its OTLP/JSON form parses to. */
export async function otlpBody(
  request: Pick<Received, 'contentType' | 'body'> & Partial<Received>,
): Promise<OtlpRequest> {
  if (!request.contentType.startsWith('application/x-protobuf')) return JSON.parse(request.body.toString());
  const { otlpJsonFromProtobuf } = (await import('../../../examples/demo/src/otlp-proto.mjs')) as ProtoModule;
  return otlpJsonFromProtobuf(request.body);
}

/** The names of the spans in OTLP/HTTP requests. */
export async function otlpSpanNames(requests: Received[]): Promise<string[]> {
  const bodies = await Promise.all(requests.map(otlpBody));
  return bodies.flatMap((body) =>
    (body.resourceSpans ?? []).flatMap((rs) =>
      (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((span) => span.name ?? '')),
    ),
  );
}

/** A loopback port that was free a moment ago and now has no listener. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Unlike InMemorySpanExporter, keeps its spans after shutdown, so a test can check what shutdown flushed. */
export class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  shutdowns = 0;

  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

/** Waits until `check` returns true, polling; throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
