// The processes of the outage scenario (test/reliability/outage.test.ts and
// its end-to-end twin against Jaeger): the traced app with its diagnostic
// lines read from stderr as they come, and the paced, tagged load.
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { ask, type Child, startChild } from './processes';

const root = resolve(__dirname, '../../..');

export interface Line {
  /** When the test read it. */
  at: number;
  text: string;
}

export interface App {
  child: ChildProcess;
  port: number;
  /** Every diagnostic line so far, "diag <level>: <message>". */
  lines: Line[];
}

const withoutOtel = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

/** fixtures/outage-app.cjs exporting to `otlpUrl`, with --expose-gc. */
export async function startOutageApp(otlpUrl: string): Promise<App> {
  const child = fork(join(root, 'test/reliability/fixtures/outage-app.cjs'), [], {
    cwd: root,
    env: { ...withoutOtel(), NODE_OPTIONS: '', OUTAGE_OTLP_URL: otlpUrl },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const lines: Line[] = [];
  let rest = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const text of parts) lines.push({ at: Date.now(), text });
  });
  const port = await new Promise<number>((done, fail) => {
    child.once('exit', (code) =>
      fail(new Error(`the app exited with ${code}:\n${lines.map((l) => l.text).join('\n')}`)),
    );
    child.once('message', (message: { port: number }) => done(message.port));
  });
  return { child, port, lines };
}

export interface LoadResults {
  /** Per request number, when it was sent. */
  sentAt: number[];
  /** Per request number, its status, or the error code. */
  outcome: (number | string)[];
}

/** fixtures/paced-load.cjs against `url`/<n>; `run()` starts it and resolves when every request has ended. */
export async function pacedLoad(url: string, rate: number, seconds: number) {
  const load: Child = await startChild('test/reliability/fixtures/paced-load.cjs', {
    LOAD_URL: url,
    LOAD_RATE: String(rate),
    LOAD_SECONDS: String(seconds),
  });
  const results = new Promise<LoadResults>((done) =>
    load.child.on('message', (message: LoadResults & { type: string }) => {
      if (message.type === 'done') done(message);
    }),
  );
  return {
    child: load,
    run: () => {
      load.child.send('go');
      return results;
    },
  };
}

/** Request numbers sent in [from, until). */
export function sentBetween(sentAt: number[], from: number, until: number): number[] {
  const found: number[] = [];
  sentAt.forEach((at, n) => {
    if (at >= from && at < until) found.push(n);
  });
  return found;
}

/**
 * When `url` first gives an HTTP answer (any status), polling every 10 ms: a
 * backend that is back. A bare accepted connection does not count (something
 * else may hold the port for a moment, e.g. a check that it is free).
 */
export async function firstAnswer(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await new Promise<boolean>((done) => {
      const request = http.get(url, { agent: false, timeout: 200 }, (response) => {
        response.resume();
        done(true);
      });
      request.once('timeout', () => request.destroy());
      request.once('error', () => done(false));
    });
    if (answered) return Date.now();
    if (Date.now() > deadline) throw new Error(`${url} gave no answer in ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** The recovery line's dropped count, "...; 3,412 spans dropped". */
export function droppedOf(line: string): number {
  const match = /; ([\d,]+) spans? dropped$/.exec(line);
  if (!match) throw new Error(`no dropped count in "${line}"`);
  return Number(match[1]!.replace(/,/g, ''));
}

/**
 * The app exporting to `target` under `rate` requests/s for `seconds`, its
 * processes added to `children`; resolves after `healthySeconds` of load,
 * with the heap measured 1 s in and the load's results to come.
 */
export async function appUnderLoad(
  target: string,
  rate: number,
  seconds: number,
  healthySeconds: number,
  children: Child[],
) {
  const app = await startOutageApp(target);
  children.push({ child: app.child, port: app.port });
  const load = await pacedLoad(`http://127.0.0.1:${app.port}/users`, rate, seconds);
  children.push(load.child);
  const results = load.run();
  await new Promise((done) => setTimeout(done, 1000));
  const heapBefore = (await ask<{ bytes: number }>(app.child, 'heap', 'heap')).bytes;
  await new Promise((done) => setTimeout(done, healthySeconds * 1000 - 1000));
  return { app, results, heapBefore };
}
