// Child processes for the load tests: IPC-driven servers (forked) and the
// autocannon load generator, each in a process of its own so that the load,
// the app and the test never share an event loop.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const AUTOCANNON = join(root, 'node_modules', 'autocannon', 'autocannon.js');

export interface Child {
  child: ChildProcess;
  port: number;
}

/** Forks `script` (relative to the repository root) and waits for its `{ type: 'ready', port }`. */
export function startChild(script: string, env: Record<string, string>, execArgv: string[] = []): Promise<Child> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const child = fork(join(root, script), [], {
    cwd: root,
    env: { ...clean, NODE_OPTIONS: '', ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start`)), 20_000);
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      done({ child, port: message.port });
    });
  });
}

/** Sends `message` and resolves with the first reply of type `reply`. */
export function ask<T>(child: ChildProcess, message: string, reply: string): Promise<T> {
  return new Promise((done) => {
    const onMessage = (answer: { type: string }) => {
      if (answer.type !== reply) return;
      child.off('message', onMessage);
      done(answer as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

export async function stopChild(handle: Child | undefined): Promise<void> {
  if (!handle || handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  const exited = new Promise((done) => handle.child.once('exit', done));
  handle.child.kill('SIGKILL');
  await exited;
}

export interface LoadResult {
  requests: number;
  /** Connection errors, timeouts and non-2xx responses together. */
  failed: number;
  p50: number;
  p99: number;
}

/** `amount` requests at `connections` concurrent connections, by autocannon in its own process. */
export function load(url: string, amount: number, connections: number): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-a', String(amount), '-t', '10', url];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code !== 0) return fail(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out);
      done({
        requests: r.requests.total,
        failed: r.errors + r.timeouts + r.non2xx,
        p50: r.latency.p50,
        p99: r.latency.p99,
      });
    });
  });
}
