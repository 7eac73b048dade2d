// Kept equal to package.json's version by a test.
export const VERSION = '0.1.0';

/** The instrumentation scope of every span this package makes. */
export const SCOPE = { name: '@tracewire/mongodb', version: VERSION };
