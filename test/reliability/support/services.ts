// Runs an example service (examples/<name>/src/main.js) as its own process,
// configured by environment as a user runs it, and stops it with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

export interface RunningService {
  url: string;
  /** stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM; resolves with the exit code and how long the exit took (SIGKILL after `graceMs`). */
  terminate(graceMs?: number): Promise<{ code: number | null; signal: string | null; ms: number }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

export function startService(name: string, env: Record<string, string>, timeoutMs = 20_000): Promise<RunningService> {
  // The test's own OTEL_* variables must not leak into the service.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const child: ChildProcess = spawn(process.execPath, [join(root, 'examples', name, 'src/main.js')], {
    cwd: join(root, 'examples', name),
    env: { ...clean, NODE_OPTIONS: '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const match = / listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolveStart({
        url: match[1] as string,
        output: () => output,
        kill,
        async terminate(graceMs = 20_000) {
          const start = Date.now();
          child.kill('SIGTERM');
          const killer = setTimeout(kill, graceMs);
          const result = await exited;
          clearTimeout(killer);
          return { ...result, ms: Date.now() - start };
        },
      });
    }, 10);
    void exited.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) while starting:\n${output}`));
    });
  });
}
