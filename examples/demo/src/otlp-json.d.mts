/** One span as the demo receiver keeps it. */
export interface DemoSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** 'SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER' */
  kind: string;
  /** resource `service.name` */
  service: string;
  scope: { name: string; version: string };
  resource: Record<string, unknown>;
  startNs: bigint;
  endNs: bigint;
  durationMs: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** code: 'UNSET', 'OK' or 'ERROR' */
  status: { code: string; message: string };
}

export function anyValue(value: unknown): unknown;
export function attributes(list?: { key: string; value: unknown }[]): Record<string, unknown>;
export function spansFromOtlpJson(request: unknown): DemoSpan[];
