// Starts a Node service as its own process, waits until it says where it
// listens (its URL, and its gRPC address if it has one), and stops it with
// SIGTERM (the services flush their spans then).
import { spawn } from 'node:child_process';

const running = new Set();
// Never leave a service behind if the demo itself dies.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * @param {{ name: string, script: string, env: Record<string, string | undefined>, readyTimeoutMs?: number }} options
 * @returns {Promise<{ name: string, url: string, grpc: string | undefined, output: () => string, stop: (timeoutMs?: number) => Promise<{ code: number | null, signal: string | null }> }>}
 */
export function startService({ name, script, env, readyTimeoutMs = 60_000 }) {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const stop = async (timeoutMs = 30_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      void stop(1000);
      reject(new Error(`${name} ${why}\n--- ${name} output ---\n${output}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${readyTimeoutMs} ms`), readyTimeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)(?: and gRPC (\S+))?/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.on('data', (more) => (output += more));
        resolve({ name, url: match[1], grpc: match[2], output: () => output, stop });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.on('error', (error) => fail(`could not start: ${error.message}`));
    void exited.then(({ code, signal }) => {
      if (!/listening on/.test(output)) fail(`exited (code ${code}, signal ${signal}) before listening`);
    });
  });
}
