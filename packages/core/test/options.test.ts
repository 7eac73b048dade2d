import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');

describe.each(BUILDS)('option validation (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });
  const scope = { name: '@tracewire/test', version: '0.0.0' };
  const make = (options: unknown) => () => new core.Tracer('server', scope, options as never);

  test('valid options and no options are accepted', () => {
    expect(make(undefined)).not.toThrow();
    expect(
      make({
        spanName: () => 'x',
        ignore: () => false,
        requestHook() {},
        responseHook() {},
        captureHeaders: { request: ['X-Request-Id'], response: [] },
        propagator: core.defaultPropagator(),
        tracerProvider: { getTracer: () => ({}) },
      }),
    ).not.toThrow();
  });

  test.each([
    ['a string', 'x', /option "options" must be an object, got string x/],
    ['an unknown option', { spanname: () => 'x' }, /unknown option "spanname"/],
    ['spanName not a function', { spanName: 'GET' }, /option "spanName" must be a function, got string GET/],
    ['ignore not a function', { ignore: true }, /option "ignore" must be a function, got boolean true/],
    ['requestHook not a function', { requestHook: {} }, /option "requestHook" must be a function, got an object/],
    ['responseHook not a function', { responseHook: 1 }, /option "responseHook" must be a function/],
    ['a tracerProvider without getTracer', { tracerProvider: {} }, /option "tracerProvider" must be a TracerProvider/],
    [
      'a propagator without fields',
      { propagator: { inject() {}, extract() {} } },
      /option "propagator" must be a TextMapPropagator/,
    ],
    ['captureHeaders as an array', { captureHeaders: ['x'] }, /option "captureHeaders" must be an object/],
    [
      'captureHeaders.request not strings',
      { captureHeaders: { request: [1] } },
      /option "captureHeaders.request" must be an array of header names/,
    ],
    ['captureHeaders.response a string', { captureHeaders: { response: 'x' } }, /option "captureHeaders.response"/],
    ['an unknown captureHeaders key', { captureHeaders: { requests: [] } }, /unknown option "captureHeaders.requests"/],
  ])('%s fails at setup, naming the option', (_case, options, message) => {
    expect(make(options)).toThrow(TypeError);
    expect(make(options)).toThrow(message);
  });

  test('adapter-specific options are accepted only when the adapter names them', () => {
    const options = { propagateTo: () => true };
    expect(() => new core.Tracer('client', scope, options as never)).toThrow(/unknown option "propagateTo"/);
    expect(() => new core.Tracer('client', scope, options as never, ['propagateTo'])).not.toThrow();
  });

  test('captured header names are trimmed and lower-cased', () => {
    const tracer = new core.Tracer('server', scope, { captureHeaders: { request: [' X-Request-Id '] } });
    expect(tracer.captureHeaders).toEqual({ request: ['x-request-id'], response: [] });
  });
});
