// Jaeger binds fixed ports and jest runs test files in parallel: each file
// that starts Jaeger takes a turn, held across its restarts, through a lock
// directory that a crashed holder does not keep (its pid is checked).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './jaeger';

const LOCK = join(tmpdir(), 'tracewire-jaeger-ports.lock');

/** Resolves, once no other process holds the ports, with the function that gives them back. */
export async function jaegerTurn(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (abandoned()) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test file held Jaeger's ports for over ${timeoutMs} ms`);
      await sleep(200);
      continue;
    }
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    const release = () => rmSync(LOCK, { recursive: true, force: true });
    process.once('exit', release);
    return () => {
      process.off('exit', release);
      release();
    };
  }
}

/** The holder is gone: its pid no longer runs, or it died before writing it. */
function abandoned(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    try {
      return Date.now() - statSync(LOCK).mtimeMs > 5000;
    } catch {
      return true; // released meanwhile
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
