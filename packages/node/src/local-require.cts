import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A synchronous `require` for the optional peers (exporters, propagators), so
 * that setupTracing stays synchronous. This file is a .cts: CommonJS in both
 * builds, and our ES build imports it as such, so `__filename` is this file
 * and the peers resolve from our own folder. In an ES bundle (esbuild) none of
 * our files exist and `__filename` is not defined: the peers the bundle left
 * out then resolve from the app's entry script, beside which they are installed.
 */
const base = typeof __filename === 'string' ? __filename : (process.argv[1] ?? join(process.cwd(), 'index.js'));

export const localRequire: NodeJS.Require = createRequire(base);
