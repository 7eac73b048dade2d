import {
  type Metadata,
  type Responder,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerListener,
} from '@grpc/grpc-js';
import { type Attributes, type Context, context, type Span } from '@opentelemetry/api';
import {
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  isRecording,
  metadataGetter,
  now,
  Tracer,
  type TracingOptions,
} from '@tracewire/core';
import { ATTR_RPC_METHOD, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM, COMPONENT_GRPC, RPC_SYSTEM_GRPC } from './attributes.js';
import { captureMetadata } from './metadata.js';
import { RpcMetrics } from './metrics.js';
import {
  type GrpcCallInfo,
  type GrpcSpanNameInfo,
  type GrpcStatusInfo,
  type GrpcTracingOptions,
  methodParts,
} from './options.js';
import { parsePeer } from './peer.js';
import { applyGrpcStatus, CANCELLED, DEADLINE_EXCEEDED } from './status.js';
import { SCOPE } from './version.js';

type ServerTracer = Tracer<GrpcCallInfo, GrpcStatusInfo>;

// How close to the deadline a cancellation counts as the deadline passing.
const DEADLINE_SLACK_MS = 100;
/** The status a server call ends with (grpc-js's SentStatus, not exported by name). */
type SentStatus = { code: number; details?: string; metadata?: Metadata | null };

/**
 * A grpc-js server interceptor (`new Server({ interceptors: [...] })`): one
 * SERVER span per call, its parent read from the call's metadata, active
 * while the handler runs. The span ends once: when the handler sends the
 * status, or when the call is cancelled or its deadline passes, whichever is
 * first. List it first among the interceptors, so it sees every call.
 */
export function serverInterceptor(options?: GrpcTracingOptions): ServerInterceptor {
  const tracer: ServerTracer = new Tracer('server', SCOPE, options as TracingOptions<GrpcCallInfo, GrpcStatusInfo>);
  const metrics = new RpcMetrics('server', tracer as Tracer<never, never>);
  return (methodDescriptor, call) => {
    let traced: TracedServerCall;
    try {
      traced = new TracedServerCall(tracer, metrics, String(methodDescriptor.path), call, context.active());
    } catch (error) {
      tracer.log.warn('method', 'reading the method of the call failed; the call goes on untraced', error);
      return new ServerInterceptingCall(call);
    }
    return new ServerInterceptingCall(call, traced.responder());
  };
}

/** One traced server call: started by its metadata, ended by its status or its cancellation. */
class TracedServerCall {
  /** The context the handler runs in, once the metadata has arrived (undefined: untraced). */
  private ctx: Context | undefined;
  private span: Span | undefined;
  private ended = false;
  private responseMetadata: Metadata | undefined;
  /** When metrics are on: the call's metric attributes, and the `now()` it started at. */
  private measure: Attributes | undefined;
  private start = 0;

  constructor(
    private readonly tracer: ServerTracer,
    private readonly metrics: RpcMetrics,
    private readonly path: string,
    private readonly call: ServerInterceptingCallInterface,
    private readonly parent: Context,
  ) {}

  responder(): Responder {
    const responder: Responder = {
      start: (next) => next(this.listener()),
      sendStatus: (status, next) => {
        this.finish(status);
        next(status);
      },
    };
    if (this.tracer.captureHeaders.response.length > 0) {
      responder.sendMetadata = (metadata, next) => {
        this.responseMetadata = metadata;
        next(metadata);
      };
    }
    return responder;
  }

  // grpc-js calls the handler from the metadata (streaming requests) or the
  // half-close (unary requests) event: each is passed on in the call's context.
  private listener(): ServerListener {
    return {
      onReceiveMetadata: (metadata, next) => {
        this.begin(metadata);
        this.run(next, metadata);
      },
      onReceiveMessage: (message, next) => this.run(next, message),
      onReceiveHalfClose: (next) => this.run(next, undefined),
      onCancel: () => this.cancelled(),
    };
  }

  private run<T>(next: (value: T) => void, value: T): void {
    if (this.ctx === undefined) next(value);
    else context.with(this.ctx, next, undefined, value);
  }

  private begin(metadata: Metadata): void {
    const { tracer, path } = this;
    try {
      const { service, method } = methodParts(path);
      const info: GrpcCallInfo = { kind: 'server', path, service, method, metadata };
      if (tracer.ignores(info)) {
        // No span, but the caller's trace still reaches the handler's own calls.
        this.ctx = tracer.extract(this.parent, metadata, metadataGetter);
        return;
      }
      this.start = now();
      this.measure = this.metrics.begin(service, method);
      const nameInfo: GrpcSpanNameInfo | undefined = tracer.renames
        ? { kind: 'server', path, service, method }
        : undefined;
      const name = nameInfo ? tracer.name(nameInfo, path) : path;
      const attributes: Attributes = { [ATTR_RPC_SYSTEM]: RPC_SYSTEM_GRPC, [ATTR_RPC_METHOD]: method };
      if (service !== '') attributes[ATTR_RPC_SERVICE] = service;
      const { ctx, span } = tracer.start(this.parent, COMPONENT_GRPC, name, metadata, metadataGetter, attributes);
      this.ctx = ctx;
      this.span = span;
      if (isRecording(span, tracer)) {
        try {
          this.recordPeer(span);
          captureMetadata(span, 'request', tracer.captureHeaders.request, metadata);
        } catch (error) {
          tracer.log.warn('attributes', 'reading the peer or the request metadata failed', error);
        }
        tracer.requestHook(span, info);
      }
    } catch (error) {
      tracer.log.warn('start', 'starting the server span failed; the call goes on untraced', error);
    }
  }

  private recordPeer(span: Span): void {
    // getConnectionInfo() came with grpc-js 1.10's interceptors; getPeer() is the fallback.
    const info = typeof this.call.getConnectionInfo === 'function' ? this.call.getConnectionInfo() : undefined;
    const peer = info?.remoteAddress
      ? { address: info.remoteAddress, port: info.remotePort }
      : parsePeer(this.call.getPeer());
    if (peer === undefined) return;
    span.setAttribute(ATTR_NETWORK_PEER_ADDRESS, peer.address);
    if (peer.port !== undefined) span.setAttribute(ATTR_NETWORK_PEER_PORT, peer.port);
  }

  /**
   * grpc-js reports the end of every call with onCancel, also after a status
   * was sent; a call that ends here without one was cancelled by the client
   * (or its connection closed), or grpc-js ended it when the deadline passed.
   * A client cancels when its own copy of the deadline passes, which can
   * reach the server just before the server's copy does: a cancellation
   * that close to the deadline counts as the deadline.
   */
  private cancelled(): void {
    if (this.ended) return;
    let expired = false;
    try {
      const deadline = this.call.getDeadline();
      const ms = deadline instanceof Date ? deadline.getTime() : Number(deadline);
      expired = Number.isFinite(ms) && ms - DEADLINE_SLACK_MS <= Date.now();
    } catch (error) {
      this.tracer.log.warn('deadline', 'reading the call deadline failed', error);
    }
    this.finish(
      expired
        ? { code: DEADLINE_EXCEEDED, details: 'Deadline exceeded' }
        : { code: CANCELLED, details: 'Cancelled before the server sent a status' },
    );
  }

  private finish(status: SentStatus): void {
    if (this.ended) return;
    this.ended = true;
    const { span, tracer } = this;
    if (span === undefined) return;
    if (isRecording(span, tracer)) {
      try {
        captureMetadata(span, 'response', tracer.captureHeaders.response, this.responseMetadata, status.metadata);
      } catch (error) {
        tracer.log.warn('attributes', 'reading the response metadata failed', error);
      }
      const details = String(status.details ?? '');
      try {
        applyGrpcStatus(span, 'server', status.code, details);
      } catch (error) {
        tracer.log.warn('status', 'recording the call status failed', error);
      }
      tracer.responseHook(span, { code: status.code, details, metadata: status.metadata ?? undefined });
    }
    tracer.end(this.ctx as Context, span);
    if (this.measure !== undefined) this.metrics.end(this.ctx as Context, this.measure, this.start, status.code);
  }
}
