import { createRequire } from 'node:module';

/**
 * A synchronous `require` that resolves from this package's own folder. This
 * file is a .cts, so it is CommonJS in both builds and `__filename` is always
 * defined; the ES build imports it too. Used to load optional peers lazily
 * without making setupTracing async.
 */
export const localRequire: NodeJS.Require = createRequire(__filename);
