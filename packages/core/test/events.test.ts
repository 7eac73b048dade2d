import { EventEmitter } from 'node:events';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';

type Core = typeof import('@tracewire/core');

const otel = memoryTracing();
afterAll(() => otel.close());

const KEY = createContextKey('test.request');
const current = () => context.active().getValue(KEY);

describe.each(BUILDS)('bindEvents (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  test('listeners run in the bound context, whoever emits, with the same arguments and return value', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    emitter.on('end', (a: unknown, b: unknown) => seen.push([current(), a, b]));
    core.bindEvents(emitter, { ctx: ROOT_CONTEXT.setValue(KEY, 'request 1') });
    // Emitted from outside any request, as Node emits a request's 'end'.
    expect(emitter.emit('end', 1, 2)).toBe(true);
    expect(emitter.emit('nobody-listens')).toBe(false);
    context.with(ROOT_CONTEXT.setValue(KEY, 'other'), () => emitter.emit('end', 3, 4));
    expect(seen).toEqual([
      ['request 1', 1, 2],
      ['request 1', 3, 4],
    ]);
    expect(current()).toBeUndefined();
  });

  test('binding again moves the emitter to the new context without wrapping twice', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    emitter.on('close', () => seen.push(current()));
    core.bindEvents(emitter, { ctx: ROOT_CONTEXT.setValue(KEY, 'first') });
    const emit = emitter.emit;
    core.bindEvents(emitter, { ctx: ROOT_CONTEXT.setValue(KEY, 'second') });
    expect(emitter.emit).toBe(emit);
    emitter.emit('close');
    expect(seen).toEqual(['second']);
  });

  test('an error a listener throws, or an unhandled error event, reaches the caller exactly as unbound', () => {
    const thrown = new Error('listener failed');
    const caught = (bind: boolean) => {
      const emitter = new EventEmitter();
      emitter.on('data', () => {
        throw thrown;
      });
      if (bind) core.bindEvents(emitter, { ctx: ROOT_CONTEXT.setValue(KEY, 'x') });
      const errors: unknown[] = [];
      for (const event of ['data', 'error']) {
        try {
          emitter.emit(event, thrown);
        } catch (error) {
          errors.push(error);
        }
      }
      return errors;
    };
    const bound = caught(true);
    expect(bound).toHaveLength(2);
    expect(bound[0]).toBe(thrown);
    expect(bound).toEqual(caught(false));
  });

  test('a finished request whose state refers back to its req and res is freed by a young-generation GC', () => {
    // A request's holder refers to its emitters; kept in a WeakMap this was an
    // ephemeron cycle that V8's scavenger cannot free, and every request's
    // objects went to the old generation. Measured by what a few minor GCs promote.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;
    const bindMany = () => {
      for (let i = 0; i < 2_000; i++) {
        const emitter = Object.assign(new EventEmitter(), { payload: new Array(200).fill(i) });
        core.bindEvents(emitter, { ctx: ROOT_CONTEXT, emitter } as { ctx: typeof ROOT_CONTEXT });
      }
    };
    gc();
    const before = oldSpace();
    bindMany();
    for (let i = 0; i < 3; i++) gc({ type: 'minor' });
    // 2,000 emitters with their payloads are about 3.5 MB; none of it may survive.
    expect(oldSpace() - before).toBeLessThan(1_000_000);
  });
});
