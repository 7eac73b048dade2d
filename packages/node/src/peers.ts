import { localRequire } from './local-require.cjs';

/**
 * Loads an optional peer the app chose by option or variable (`why`), or fails
 * at setup saying which package to install. Only the chosen ones are loaded.
 */
export function loadPeer<T>(name: string, why: string): T {
  try {
    return localRequire(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND' || !String(error).includes(name)) throw error;
    throw new Error(`@tracewire/node: ${why} needs the optional peer ${name} (npm install ${name})`, {
      cause: error,
    });
  }
}
