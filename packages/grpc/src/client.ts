import {
  InterceptingCall,
  type Interceptor,
  type Listener,
  type Metadata,
  type NextCall,
  type StatusObject,
} from '@grpc/grpc-js';
import { type Attributes, type Context, context, type Span } from '@opentelemetry/api';
import {
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  isRecording,
  metadataSetter,
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
import { applyGrpcStatus } from './status.js';
import { SCOPE } from './version.js';

type ClientTracer = Tracer<GrpcCallInfo, GrpcStatusInfo>;
/** The call below this interceptor (grpc-js does not export its interface by name). */
type InnerCall = ReturnType<NextCall>;

/**
 * A grpc-js client interceptor: one CLIENT span per call, child of the span
 * active where the call was made, with the trace context sent in the call's
 * metadata. The span ends once, when the call's status arrives (for a stream:
 * at its end, or when it is cancelled). List it first among the interceptors.
 */
export function clientInterceptor(options?: GrpcTracingOptions): Interceptor {
  const tracer: ClientTracer = new Tracer('client', SCOPE, options as TracingOptions<GrpcCallInfo, GrpcStatusInfo>);
  const metrics = new RpcMetrics('client', tracer as Tracer<never, never>);
  return (callOptions, nextCall) => {
    // The call is made synchronously by the caller: this is the caller's context.
    const parent = context.active();
    const inner = nextCall(callOptions);
    let path: string;
    try {
      path = String(callOptions.method_definition.path);
    } catch (error) {
      tracer.log.warn('method', 'reading the method of the call failed; the call goes on untraced', error);
      return new InterceptingCall(inner);
    }
    return new InterceptingCall(inner, {
      start(metadata, listener, next) {
        const traced = TracedClientCall.start(tracer, metrics, parent, path, metadata, inner);
        if (traced === undefined) {
          next(metadata, listener);
          return;
        }
        // The client span is active for the interceptors below this one.
        context.with(traced.ctx, next, undefined, traced.outgoing, traced.listener());
      },
    });
  };
}

/** One traced client call: the span, and its end when the status arrives. */
class TracedClientCall {
  private ended = false;
  private responseMetadata: Metadata | undefined;

  private constructor(
    private readonly tracer: ClientTracer,
    private readonly metrics: RpcMetrics,
    /** When metrics are on: the call's metric attributes, and the `now()` it started at. */
    private readonly measure: Attributes | undefined,
    private readonly start: number,
    private readonly parent: Context,
    readonly ctx: Context,
    private readonly span: Span,
    readonly outgoing: Metadata,
    private readonly inner: InnerCall,
  ) {}

  /** Starts the span and injects into a copy of the metadata; undefined when ignored or when tracing failed. */
  static start(
    tracer: ClientTracer,
    metrics: RpcMetrics,
    parent: Context,
    path: string,
    metadata: Metadata,
    inner: InnerCall,
  ): TracedClientCall | undefined {
    try {
      const { service, method } = methodParts(path);
      const info: GrpcCallInfo = { kind: 'client', path, service, method, metadata };
      if (tracer.ignores(info)) return undefined;
      const start = now();
      const measure = metrics.begin(service, method);
      // The caller's metadata object is never changed: it may be reused for other calls.
      const outgoing = metadata.clone();
      const nameInfo: GrpcSpanNameInfo | undefined = tracer.renames
        ? { kind: 'client', path, service, method }
        : undefined;
      const name = nameInfo ? tracer.name(nameInfo, path) : path;
      const attributes: Attributes = { [ATTR_RPC_SYSTEM]: RPC_SYSTEM_GRPC, [ATTR_RPC_METHOD]: method };
      if (service !== '') attributes[ATTR_RPC_SERVICE] = service;
      const { ctx, span } = tracer.start(parent, COMPONENT_GRPC, name, outgoing, metadataSetter, attributes);
      if (isRecording(span, tracer)) {
        try {
          captureMetadata(span, 'request', tracer.captureHeaders.request, metadata);
        } catch (error) {
          tracer.log.warn('metadata', 'recording request metadata failed', error);
        }
        tracer.requestHook(span, info);
      }
      return new TracedClientCall(tracer, metrics, measure, start, parent, ctx, span, outgoing, inner);
    } catch (error) {
      tracer.log.warn('start', 'starting the client span failed; the call goes on untraced', error);
      return undefined;
    }
  }

  /** Passes every event on unchanged, in the caller's context; the status ends the span first. */
  listener(): Listener {
    return {
      onReceiveMetadata: (metadata, next) => {
        if (this.tracer.captureHeaders.response.length > 0) this.responseMetadata = metadata;
        context.with(this.parent, next, undefined, metadata);
      },
      onReceiveMessage: (message, next) => {
        context.with(this.parent, next, undefined, message);
      },
      onReceiveStatus: (status, next) => {
        this.finish(status);
        context.with(this.parent, next, undefined, status);
      },
    };
  }

  private finish(status: StatusObject): void {
    if (this.ended) return;
    this.ended = true;
    const { span, tracer } = this;
    if (isRecording(span, tracer)) {
      try {
        const peer = parsePeer(this.inner.getPeer());
        if (peer !== undefined) {
          span.setAttribute(ATTR_SERVER_ADDRESS, peer.address);
          if (peer.port !== undefined) span.setAttribute(ATTR_SERVER_PORT, peer.port);
        }
        captureMetadata(span, 'response', tracer.captureHeaders.response, this.responseMetadata, status.metadata);
      } catch (error) {
        tracer.log.warn('attributes', 'reading the peer or the response metadata failed', error);
      }
      try {
        applyGrpcStatus(span, 'client', status.code, String(status.details ?? ''));
      } catch (error) {
        tracer.log.warn('status', 'recording the call status failed', error);
      }
      tracer.responseHook(span, { code: status.code, details: status.details, metadata: status.metadata });
    }
    tracer.end(this.ctx, span);
    if (this.measure !== undefined) this.metrics.end(this.ctx, this.measure, this.start, status.code);
  }
}
