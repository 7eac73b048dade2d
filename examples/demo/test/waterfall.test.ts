type Waterfall = typeof import('../src/waterfall.mjs', { with: { 'resolution-mode': 'import' }});
type DemoSpan = import('../src/otlp-json.mjs', { with: { 'resolution-mode': 'import' }}).DemoSpan;

const MS = 1_000_000n;
const T0 = 1_700_000_000_000n * MS;

function span(fields: Partial<DemoSpan> & { spanId: string; startMs: number; endMs: number }): DemoSpan {
  const { startMs, endMs, ...rest } = fields;
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    parentSpanId: undefined,
    name: 'GET /',
    kind: 'SERVER',
    service: 'svc',
    scope: { name: 'test', version: '1' },
    resource: {},
    startNs: T0 + BigInt(startMs) * MS,
    endNs: T0 + BigInt(endMs) * MS,
    durationMs: endMs - startMs,
    attributes: {},
    events: [],
    status: { code: 'UNSET', message: '' },
    ...rest,
  };
}

describe('formatWaterfall', () => {
  let waterfall: Waterfall;
  beforeAll(async () => {
    waterfall = await import('../src/waterfall.mjs');
  });

  const trace = () => [
    // Given out of order on purpose: the printer orders by tree and start.
    span({
      spanId: 'c',
      parentSpanId: 'b',
      service: 'message-service',
      name: 'GET /messages/:userId',
      startMs: 50,
      endMs: 100,
      status: { code: 'ERROR', message: 'boom' },
      events: [{ name: 'exception', attributes: { 'exception.type': 'TypeError', 'exception.message': 'boom' } }],
    }),
    span({ spanId: 'a', service: 'user-service', name: 'GET /users/:id', startMs: 0, endMs: 200 }),
    span({
      spanId: 'b',
      parentSpanId: 'a',
      service: 'user-service',
      name: 'GET /messages/1',
      kind: 'CLIENT',
      startMs: 40,
      endMs: 110,
      status: { code: 'ERROR', message: '' },
      attributes: { 'error.type': '500' },
    }),
  ];

  test('one line per span, children indented under parents, with kind, duration and a scaled bar', () => {
    const lines = waterfall.formatWaterfall(trace(), { width: 20 });
    expect(lines[0]).toBe('trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  200.0 ms  2 with ERROR');
    expect(lines[1]).toMatch(/^ {2}SERVICE SPAN +KIND +DURATION \|0 ms +200\.0 ms\|$/);
    const rows = lines.slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ {2}user-service GET \/users\/:id +SERVER +200\.0 ms \|█{20}\|$/);
    // 40..110 of 200 ms over 20 cells: cells 4 to 11.
    expect(rows[1]).toMatch(
      /^ {4}user-service GET \/messages\/1 +CLIENT +70\.0 ms \| {4}█{7} {9}\| {2}ERROR error.type=500$/,
    );
    expect(rows[2]).toMatch(
      /^ {6}message-service GET \/messages\/:userId +SERVER +50\.0 ms \| {5}█{5} {10}\| {2}ERROR exception TypeError: boom$/,
    );
    // The columns line up.
    const kindAt = rows.map((row) => row.search(/SERVER|CLIENT/));
    expect(new Set(kindAt).size).toBe(1);
  });

  test('a span whose parent is missing is shown as a root; a tiny span still gets one cell', () => {
    const lines = waterfall.formatWaterfall(
      [
        span({ spanId: 'x', parentSpanId: 'gone', name: 'orphan', startMs: 0, endMs: 1000 }),
        span({ spanId: 'y', parentSpanId: 'x', name: 'tiny', kind: 'INTERNAL', startMs: 999, endMs: 999 }),
      ],
      { width: 10 },
    );
    expect(lines[2]).toMatch(/^ {2}svc orphan/);
    expect(lines[3]).toMatch(/^ {4}svc tiny +INTERNAL +0\.00 ms \| {9}█\|$/);
  });

  test('an empty trace and durations', () => {
    expect(waterfall.formatWaterfall([])).toEqual(['(no spans)']);
    expect(waterfall.formatMs(0.123)).toBe('0.12 ms');
    expect(waterfall.formatMs(5.3)).toBe('5.3 ms');
    expect(waterfall.formatMs(12.345)).toBe('12.3 ms');
  });
});
