import { Metadata } from '@grpc/grpc-js';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe.each(BUILDS)('gRPC metadata carrier (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  test('get: one value as a string, repeated ones as an array, missing as undefined, any case', () => {
    const metadata = new Metadata();
    metadata.set('traceparent', TRACEPARENT);
    metadata.add('baggage', 'a=1');
    metadata.add('baggage', 'b=2');
    expect(core.metadataGetter.get(metadata, 'TraceParent')).toBe(TRACEPARENT);
    expect(core.metadataGetter.get(metadata, 'baggage')).toEqual(['a=1', 'b=2']);
    expect(core.metadataGetter.get(metadata, 'tracestate')).toBeUndefined();
    expect(core.metadataGetter.keys(metadata)).toEqual(['traceparent', 'baggage']);
  });

  test('get skips binary values', () => {
    const metadata = new Metadata();
    metadata.set('trace-bin', Buffer.from([1, 2, 3]));
    expect(core.metadataGetter.get(metadata, 'trace-bin')).toBeUndefined();
  });

  test('set replaces the value; the default propagator round-trips through metadata', () => {
    const metadata = new Metadata();
    metadata.set('traceparent', 'old');
    core.metadataSetter.set(metadata, 'traceparent', 'new');
    expect(metadata.get('traceparent')).toEqual(['new']);

    const propagator = core.defaultPropagator();
    const incoming = new Metadata();
    incoming.set('traceparent', TRACEPARENT);
    const ctx = propagator.extract(ROOT_CONTEXT, incoming, core.metadataGetter);
    expect(trace.getSpanContext(ctx)?.spanId).toBe('b7ad6b7169203331');
    const outgoing = new Metadata();
    propagator.inject(ctx, outgoing, core.metadataSetter);
    expect(outgoing.get('traceparent')).toEqual([TRACEPARENT]);
  });
});
