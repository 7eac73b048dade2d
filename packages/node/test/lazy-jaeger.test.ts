// The Jaeger exporter is an optional peer: it must be loaded only when chosen,
// from either build, by plain Node (not jest's module loader).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { BUILDS, type Build } from '../../../test/support/builds';

const root = resolve(__dirname, '../../..');

/** Runs setupTracing in a fresh Node process and reports whether the Jaeger exporter got loaded. */
function jaegerLoaded(build: Build, exporter: string): boolean {
  const body = `
    const tracing = setupTracing({ exporter: ${JSON.stringify(exporter)}, endpoint: 'http://127.0.0.1:9' });
    const loaded = Object.keys(req.cache).some((file) => file.includes('exporter-jaeger'));
    console.log(JSON.stringify({ loaded }));
    tracing.shutdown();`;
  const args =
    build === 'cjs'
      ? ['-e', `const { setupTracing } = require('@tracewire/node'); const req = require; ${body}`]
      : [
          '--input-type=module',
          '-e',
          `import { setupTracing } from '@tracewire/node'; import { createRequire } from 'node:module';
           const req = createRequire(import.meta.url); ${body}`,
        ];
  const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out.trim().split('\n').pop()!).loaded;
}

describe.each(BUILDS)('the Jaeger exporter in plain Node (%s build)', (build) => {
  test('is not loaded when another exporter is chosen', () => {
    expect(jaegerLoaded(build, 'otlp')).toBe(false);
  });

  test('is loaded synchronously when chosen', () => {
    expect(jaegerLoaded(build, 'jaeger')).toBe(true);
  });
});
