import type { Attributes, Context, Histogram } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  durationHistogram,
  Instruments,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  secondsSince,
  type Tracer,
} from '@tracewire/core';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_MONGODB,
} from './attributes.js';
import type { Failure } from './status.js';

/** The bucket boundaries the database conventions advise for `db.client.operation.duration`, in seconds. */
export const DB_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/**
 * `db.client.operation.duration` per command, with the span's `db.*` and
 * `server.*` attributes, and the failure's `error.type` and
 * `db.response.status_code` (the span's rule: the same `Failure`).
 */
export class CommandMetrics {
  private readonly instruments: Instruments<Histogram>;

  constructor(private readonly tracer: Tracer<never, never>) {
    this.instruments = new Instruments(tracer.meters, tracer.log, (meter) =>
      durationHistogram(
        meter,
        METRIC_DB_CLIENT_OPERATION_DURATION,
        'Duration of database client operations.',
        DB_DURATION_BUCKETS,
      ),
    );
  }

  get on(): boolean {
    return this.instruments.get() !== undefined;
  }

  /** The attributes a command is measured with, in a fixed key order. */
  begin(
    database: string,
    collection: string | undefined,
    operation: string,
    server: { address: string; port?: number } | undefined,
  ): Attributes {
    const attributes: Attributes = {};
    attributes[ATTR_DB_SYSTEM_NAME] = DB_SYSTEM_MONGODB;
    attributes[ATTR_DB_NAMESPACE] = database;
    if (collection !== undefined) attributes[ATTR_DB_COLLECTION_NAME] = collection;
    attributes[ATTR_DB_OPERATION_NAME] = operation;
    if (server !== undefined) {
      attributes[ATTR_SERVER_ADDRESS] = server.address;
      if (server.port !== undefined) attributes[ATTR_SERVER_PORT] = server.port;
    }
    return attributes;
  }

  end(ctx: Context, attributes: Attributes, start: number, failure: Failure | undefined): void {
    try {
      const histogram = this.instruments.get();
      if (histogram === undefined) return;
      if (failure !== undefined) {
        if (failure.code !== undefined) attributes[ATTR_DB_RESPONSE_STATUS_CODE] = failure.code;
        attributes[ATTR_ERROR_TYPE] = failure.type;
      }
      histogram.record(secondsSince(start), attributes, ctx);
    } catch (error) {
      this.tracer.log.warn('metrics', 'recording the command duration failed', error);
    }
  }
}
