import type { Attributes, Context, Histogram } from '@opentelemetry/api';
import {
  durationHistogram,
  HTTP_DURATION_BUCKETS,
  Instruments,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  secondsSince,
  type Tracer,
} from '@tracewire/core';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  RPC_SYSTEM_GRPC,
} from './attributes.js';

/**
 * `rpc.server.call.duration` / `rpc.client.call.duration` (seconds, the
 * buckets the conventions advise, the same as HTTP's), with the span's
 * `rpc.*` attributes and the status code the call ended with.
 */
export class RpcMetrics {
  private readonly instruments: Instruments<Histogram>;

  constructor(
    kind: 'server' | 'client',
    private readonly tracer: Tracer<never, never>,
  ) {
    this.instruments = new Instruments(tracer.meters, tracer.log, (meter) =>
      kind === 'server'
        ? durationHistogram(meter, METRIC_RPC_SERVER_CALL_DURATION, 'Duration of incoming RPCs.', HTTP_DURATION_BUCKETS)
        : durationHistogram(
            meter,
            METRIC_RPC_CLIENT_CALL_DURATION,
            'Duration of outgoing RPCs.',
            HTTP_DURATION_BUCKETS,
          ),
    );
  }

  /** The attributes a call is measured with, in a fixed key order; undefined when metrics are off. */
  begin(service: string, method: string): Attributes | undefined {
    if (this.instruments.get() === undefined) return undefined;
    const attributes: Attributes = {};
    attributes[ATTR_RPC_SYSTEM] = RPC_SYSTEM_GRPC;
    if (service !== '') attributes[ATTR_RPC_SERVICE] = service;
    attributes[ATTR_RPC_METHOD] = method;
    return attributes;
  }

  end(ctx: Context, attributes: Attributes, start: number, code: number): void {
    try {
      const histogram = this.instruments.get();
      if (histogram === undefined) return;
      attributes[ATTR_RPC_GRPC_STATUS_CODE] = code;
      histogram.record(secondsSince(start), attributes, ctx);
    } catch (error) {
      this.tracer.log.warn('metrics', 'recording the call duration failed', error);
    }
  }
}
