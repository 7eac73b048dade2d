import { DiagLogLevel, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';
import { hostProcess } from '../../../test/support/process';

type Core = typeof import('@tracewire/core');

// An async hook is a likely mistake; its rejected promise must not become an
// unhandled rejection, which by Node's default ends the process.
const rejects = async () => {
  throw new Error('async hook failure');
};

describe.each(BUILDS)('hooks that return a promise (%s build)', (build) => {
  let core: Core;
  const otel = memoryTracing();
  const scope = { name: '@tracewire/test', version: '0.0.0' };
  const warn = jest.fn();
  const unhandled = jest.fn();

  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
    hostProcess().on('unhandledRejection', unhandled);
  });
  afterAll(() => {
    hostProcess().off('unhandledRejection', unhandled);
    return otel.close();
  });
  beforeEach(() => {
    diag.setLogger({ warn, error: warn, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  });
  afterEach(() => {
    diag.disable();
    warn.mockReset();
    unhandled.mockReset();
    otel.reset();
  });

  /** Lets rejections settle and Node decide whether they were handled. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  test.each([
    ['requestHook', { requestHook: rejects }, 'requestHook() rejected'],
    ['responseHook', { responseHook: rejects }, 'responseHook() rejected'],
    ['spanName', { spanName: rejects }, 'spanName() returned no non-empty string'],
    ['ignore', { ignore: rejects }, 'ignore() returned object, not a boolean'],
  ])('an async %s that rejects is reported once, never unhandled', async (_name, options, message) => {
    const tracer = new core.Tracer<object, object>('server', scope, {
      tracerProvider: otel.provider,
      ...options,
    } as never);
    for (let i = 0; i < 3; i++) {
      if (tracer.ignores({})) continue;
      const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordGetter);
      tracer.requestHook(span, {});
      span.updateName(tracer.name({ kind: 'server', method: 'GET', path: '/' }, 'GET /'));
      tracer.responseHook(span, {});
      tracer.end(ctx, span, undefined, 200);
    }
    await settle();
    expect(unhandled).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain(`@tracewire/test: ${message}`);
    expect(otel.spans().map((s) => s.name)).toEqual(['GET /', 'GET /', 'GET /']);
  });

  test('a thenable whose then() throws is contained too', async () => {
    const hostile = {
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose
      get then() {
        throw new Error('then getter');
      },
    };
    const tracer = new core.Tracer<object, object>('server', scope, {
      tracerProvider: otel.provider,
      requestHook: () => hostile as never,
    });
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordGetter);
    tracer.requestHook(span, {});
    tracer.end(ctx, span);
    await settle();
    expect(unhandled).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
