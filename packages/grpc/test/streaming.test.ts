import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { type Pkg, type Running, startServer, stream, unary, wait } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const client = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.CLIENT);
const server = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.SERVER);
const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;

describe.each(BUILDS)('@tracewire/grpc streams, cancel and deadlines (%s build)', (build) => {
  let pkg: Pkg;
  let traced: Running;
  let plain: Running;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/grpc', build);
    traced = await startServer([pkg.serverInterceptor({ tracerProvider: otel.provider })]);
    plain = await startServer([]);
  });
  afterAll(async () => {
    await traced.close();
    await plain.close();
  });
  afterEach(() => otel.reset());

  const tracedClient = () => traced.client([pkg.clientInterceptor({ tracerProvider: otel.provider })]);

  test('a server stream: one span each side covering every message, the server span active for each write', async () => {
    let lastMessageAt = 0;
    const result = await stream(tracedClient(), { count: 4, intervalMs: 30 }, () => {
      lastMessageAt = Date.now();
    });
    expect(result.error).toBeUndefined();
    expect(result.messages).toHaveLength(4);
    await waitForSpans(otel.spans, 2);
    await wait(100); // nothing ends twice
    const spans = otel.spans();
    expect(spans).toHaveLength(2);
    const [clientSpan] = client(spans);
    const [serverSpan] = server(spans);
    for (const message of result.messages) expect(message.spanId).toBe(serverSpan?.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    // Three 30 ms gaps: both spans last the whole stream, not just its start.
    for (const span of [clientSpan, serverSpan]) {
      expect(ms(span!.endTime) - ms(span!.startTime)).toBeGreaterThanOrEqual(85);
      expect(span?.attributes['rpc.grpc.status_code']).toBe(0);
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(ms(clientSpan!.endTime)).toBeGreaterThanOrEqual(lastMessageAt - 1);
  });

  test('a stream cancelled by the client: client ERROR CANCELLED, server CANCELLED (UNSET), each ended once', async () => {
    const cancelAfterTwo = (call: grpc.ClientReadableStream<unknown>, index: number) => {
      if (index === 1) call.cancel();
    };
    const result = await stream(tracedClient(), { count: 50, intervalMs: 20 }, cancelAfterTwo);
    const untraced = await stream(plain.client(), { count: 50, intervalMs: 20 }, cancelAfterTwo);
    expect(result.error?.code).toBe(grpc.status.CANCELLED);
    expect({ code: result.error?.code, details: result.error?.details, message: result.error?.message }).toEqual({
      code: untraced.error?.code,
      details: untraced.error?.details,
      message: untraced.error?.message,
    });
    expect(result.messages.length).toBeLessThan(50);
    const cancelledAt = Date.now();
    await waitForSpans(otel.spans, 2);
    // The handler goes on writing and then ends the call: no second end, no third span.
    await wait(150);
    const spans = otel.spans();
    expect(spans).toHaveLength(2);
    const [clientSpan] = client(spans);
    const [serverSpan] = server(spans);
    expect(clientSpan?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Cancelled on client' });
    expect(clientSpan?.attributes).toMatchObject({ 'rpc.grpc.status_code': 1, 'error.type': 'CANCELLED' });
    expect(serverSpan?.status.code).toBe(SpanStatusCode.UNSET);
    expect(serverSpan?.attributes['rpc.grpc.status_code']).toBe(1);
    expect(serverSpan?.attributes['error.type']).toBeUndefined();
    // It ended at the cancel, not when the 50 messages would have been written (1 s).
    expect(ms(serverSpan!.endTime)).toBeLessThan(cancelledAt + 100);
  });

  test('a deadline that passes: client and server ERROR DEADLINE_EXCEEDED, the server span ends at the deadline', async () => {
    const start = Date.now();
    const result = await unary(tracedClient(), { delayMs: 600 }, new grpc.Metadata(), { deadline: start + 100 });
    expect(result.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const spans = await waitForSpans(otel.spans, 2);
    const [clientSpan] = client(spans);
    const [serverSpan] = server(spans);
    for (const span of [clientSpan, serverSpan]) {
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes).toMatchObject({ 'rpc.grpc.status_code': 4, 'error.type': 'DEADLINE_EXCEEDED' });
    }
    expect(ms(serverSpan!.endTime)).toBeLessThan(start + 400);
    // The handler answers late; the span does not end again.
    await wait(700);
    expect(otel.spans()).toHaveLength(2);
  });

  test('a server stream whose deadline passes mid-stream ends once, at the deadline', async () => {
    const start = Date.now();
    const result = await stream(tracedClient(), { count: 30, intervalMs: 20 }, undefined, { deadline: start + 150 });
    expect(result.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitForSpans(otel.spans, 2);
    await wait(700);
    const spans = otel.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes['error.type']).toBe('DEADLINE_EXCEEDED');
  });
});
