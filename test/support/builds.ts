// Loads a package through one of its two published builds, by package name,
// so that the package.json "exports" map is what the test exercises.
export type Build = 'cjs' | 'esm';

export const BUILDS: Build[] = ['cjs', 'esm'];

export async function load<T>(pkg: string, build: Build): Promise<T> {
  if (build === 'cjs') {
    const resolved = require.resolve(pkg);
    if (!resolved.includes('/dist/cjs/')) throw new Error(`${pkg} resolved to ${resolved}, not its CJS build`);
    return require(pkg) as T;
  }
  // A real dynamic import (jest runs with --experimental-vm-modules): it takes
  // the "import" condition of "exports" and yields an ES module namespace.
  const namespace = await import(pkg);
  // A CommonJS file imported this way shows up with a `default` export; our
  // ES builds have none.
  if (Object.prototype.toString.call(namespace) !== '[object Module]' || 'default' in namespace) {
    throw new Error(`${pkg} was not loaded from its ES module build`);
  }
  return namespace as T;
}
