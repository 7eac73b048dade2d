import * as semconv from '@opentelemetry/semantic-conventions';
import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');

// Core spells its attribute names itself (no lookup through the conventions
// package per span); they must be the stable names that package exports.
const NOT_SEMCONV = new Set(['ATTR_COMPONENT']);

describe.each(BUILDS)('attribute names (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  test('every ATTR_ constant of core equals the stable export of the same name in @opentelemetry/semantic-conventions', () => {
    const names = Object.keys(core).filter((name) => name.startsWith('ATTR_') && !NOT_SEMCONV.has(name));
    expect(names.length).toBeGreaterThanOrEqual(14);
    for (const name of names) {
      expect([name, (core as Record<string, unknown>)[name]]).toEqual([
        name,
        (semconv as Record<string, unknown>)[name],
      ]);
    }
  });
});
