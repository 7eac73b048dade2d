// Builds the package in the current directory twice from the same sources:
// dist/cjs (CommonJS) and dist/esm (ES modules), each with its .d.ts files and
// a package.json that tells Node which module format the folder holds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const builds = [
  { dir: 'dist/cjs', type: 'commonjs', args: ['--module', 'Node16', '--moduleResolution', 'Node16'] },
  { dir: 'dist/esm', type: 'module', args: ['--module', 'ES2022', '--moduleResolution', 'Bundler'] },
];

rmSync('dist', { recursive: true, force: true });
for (const build of builds) {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', build.dir, ...build.args], {
    stdio: 'inherit',
  });
  mkdirSync(build.dir, { recursive: true });
  writeFileSync(join(build.dir, 'package.json'), `${JSON.stringify({ type: build.type })}\n`);
}
