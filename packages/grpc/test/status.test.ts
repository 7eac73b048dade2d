import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { type Pkg, type Running, startServer, stream, unary } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const { UNSET, ERROR } = SpanStatusCode;

// [code, name, client span status, server span status], written out from
// OpenTelemetry's gRPC rules rather than computed by the code under test.
const TABLE: [number, string, SpanStatusCode, SpanStatusCode][] = [
  [0, 'OK', UNSET, UNSET],
  [1, 'CANCELLED', ERROR, UNSET],
  [2, 'UNKNOWN', ERROR, ERROR],
  [3, 'INVALID_ARGUMENT', ERROR, UNSET],
  [4, 'DEADLINE_EXCEEDED', ERROR, ERROR],
  [5, 'NOT_FOUND', ERROR, UNSET],
  [6, 'ALREADY_EXISTS', ERROR, UNSET],
  [7, 'PERMISSION_DENIED', ERROR, UNSET],
  [8, 'RESOURCE_EXHAUSTED', ERROR, UNSET],
  [9, 'FAILED_PRECONDITION', ERROR, UNSET],
  [10, 'ABORTED', ERROR, UNSET],
  [11, 'OUT_OF_RANGE', ERROR, UNSET],
  [12, 'UNIMPLEMENTED', ERROR, ERROR],
  [13, 'INTERNAL', ERROR, ERROR],
  [14, 'UNAVAILABLE', ERROR, ERROR],
  [15, 'DATA_LOSS', ERROR, ERROR],
  [16, 'UNAUTHENTICATED', ERROR, UNSET],
];

function expectOutcome(
  span: ReadableSpan | undefined,
  code: number,
  name: string,
  status: SpanStatusCode,
  details: string,
) {
  expect(span?.attributes['rpc.grpc.status_code']).toBe(code);
  expect(span?.status.code).toBe(status);
  if (status === ERROR) {
    expect(span?.status.message).toBe(details);
    expect(span?.attributes['error.type']).toBe(name);
    expect(span?.events.map((event) => [event.name, event.attributes])).toEqual([
      ['exception', { 'exception.type': name, 'exception.message': details }],
    ]);
  } else {
    expect(span?.attributes['error.type']).toBeUndefined();
    expect(span?.events).toEqual([]);
  }
}

/** What the caller gets from a failed call, all of it. */
function outcome(error: grpc.ServiceError | undefined) {
  if (!error) return error;
  // The server's `date` header differs whenever the two calls straddle a second.
  const { date: _date, ...metadata } = error.metadata?.toJSON() ?? {};
  return { code: error.code, details: error.details, message: error.message, metadata };
}

describe.each(BUILDS)('@tracewire/grpc status rules (%s build)', (build) => {
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

  test('statusName and grpcFailed follow the table', () => {
    for (const [code, name, client, server] of TABLE) {
      expect(pkg.statusName(code)).toBe(name);
      expect(pkg.grpcFailed('client', code)).toBe(client === ERROR);
      expect(pkg.grpcFailed('server', code)).toBe(server === ERROR);
    }
    expect(pkg.statusName(99)).toBe('99');
    expect(pkg.grpcFailed('server', 99)).toBe(true);
  });

  test.each(TABLE)('unary call ending %i %s: client %s, server %s', async (code, name, client, server) => {
    const ask = { code, details: `ended with ${name}` };
    const result = await unary(tracedClient(), ask);
    const untraced = await unary(plain.client(), ask);
    // The caller gets exactly what it gets without tracing.
    expect(outcome(result.error)).toEqual(outcome(untraced.error));
    expect(result.response === undefined).toBe(untraced.response === undefined);

    const spans = await waitForSpans(otel.spans, 2);
    const details = code === 0 ? '' : ask.details;
    expectOutcome(
      spans.find((span) => span.kind === SpanKind.CLIENT),
      code,
      name,
      client,
      details,
    );
    expectOutcome(
      spans.find((span) => span.kind === SpanKind.SERVER),
      code,
      name,
      server,
      details,
    );
  });

  test('a handler that throws: UNKNOWN, ERROR on both sides, the caller gets grpc-js own error', async () => {
    const result = await unary(tracedClient(), { throws: true });
    const untraced = await unary(plain.client(), { throws: true });
    expect(outcome(result.error)).toEqual(outcome(untraced.error));
    expect(result.error?.code).toBe(grpc.status.UNKNOWN);
    const spans = await waitForSpans(otel.spans, 2);
    // grpc-js sends its own details (the error's message only in debug mode); the spans show what was sent.
    for (const span of spans) expectOutcome(span, 2, 'UNKNOWN', ERROR, result.error?.details as string);
  });

  test.each([
    [5, 'NOT_FOUND', ERROR, UNSET],
    [13, 'INTERNAL', ERROR, ERROR],
  ] as const)(
    'a server stream ending %i %s after its messages: client %s, server %s',
    async (code, name, client, server) => {
      const result = await stream(tracedClient(), { count: 2, code, details: 'stream failed' });
      expect(result.messages).toHaveLength(2);
      expect(result.error?.code).toBe(code);
      const spans = await waitForSpans(otel.spans, 2);
      expectOutcome(
        spans.find((span) => span.kind === SpanKind.CLIENT),
        code,
        name,
        client,
        'stream failed',
      );
      expectOutcome(
        spans.find((span) => span.kind === SpanKind.SERVER),
        code,
        name,
        server,
        'stream failed',
      );
    },
  );
});
