import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');

describe.each(BUILDS)('carriers (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  test('Node headers: case-insensitive lookup, arrays kept', () => {
    const headers = { traceparent: 'tp', baggage: ['a=1', 'b=2'] };
    expect(core.nodeHeadersGetter.get(headers, 'TraceParent')).toBe('tp');
    expect(core.nodeHeadersGetter.get(headers, 'baggage')).toEqual(['a=1', 'b=2']);
    expect(core.nodeHeadersGetter.get(headers, 'tracestate')).toBeUndefined();
    expect(core.nodeHeadersGetter.keys(headers)).toEqual(['traceparent', 'baggage']);
  });

  test('Fetch Headers: get and set, case-insensitive', () => {
    const headers = new Headers({ TraceParent: 'old' });
    expect(core.fetchHeadersGetter.get(headers, 'traceparent')).toBe('old');
    expect(core.fetchHeadersGetter.get(headers, 'baggage')).toBeUndefined();
    core.fetchHeadersSetter.set(headers, 'traceparent', 'new');
    expect(headers.get('traceparent')).toBe('new');
    expect(core.fetchHeadersGetter.keys(headers)).toEqual(['traceparent']);
  });

  test('records: case-insensitive get, set replaces a key that differs in case', () => {
    const record: Record<string, string> = { TraceParent: 'old', other: 'kept' };
    expect(core.recordGetter.get(record, 'traceparent')).toBe('old');
    core.recordSetter.set(record, 'traceparent', 'new');
    expect(record).toEqual({ traceparent: 'new', other: 'kept' });
    expect(core.recordGetter.keys(record)).toEqual(['other', 'traceparent']);
  });
});
