// Test harness for a real Jaeger v2 process on loopback: find the binary that
// scripts/jaeger.sh builds, start it with its all-in-one defaults (memory
// storage), wait until it is healthy, read traces back, stop it.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { spawnTied } from '../../scripts/tied-spawn.cjs';

const root = resolve(__dirname, '../..');
const HOST = '127.0.0.1';

/** The all-in-one defaults: where the tests send spans and read them back. */
export const JAEGER = {
  otlpHttp: `http://${HOST}:4318`,
  jaegerThrift: `http://${HOST}:14268/api/traces`,
  zipkin: `http://${HOST}:9411/api/v2/spans`,
  query: `http://${HOST}:16686`,
  health: `http://${HOST}:13133/status`,
};

// Every port the all-in-one configuration binds; any one taken makes Jaeger exit.
const TCP_PORTS = [4317, 4318, 14250, 14268, 9411, 16685, 16686, 13133, 13132, 5778, 5779, 8888, 27777, 27778];
const UDP_PORTS = [6831, 6832];

export type Located = { found: true; bin: string } | { found: false; bin: string; reason: string };

/**
 * JAEGER_BIN if set (it must then exist: whoever set it expects the tests to
 * run), else the path scripts/jaeger.sh builds to, asked from the script itself
 * so the cache-path logic lives in one place.
 */
export function locateJaeger(): Located {
  const fromEnv = process.env.JAEGER_BIN;
  const bin = fromEnv || execFileSync('bash', [join(root, 'scripts/jaeger.sh'), '--path'], { encoding: 'utf8' }).trim();
  try {
    accessSync(bin, constants.X_OK);
    return { found: true, bin };
  } catch {
    if (fromEnv) throw new Error(`JAEGER_BIN=${fromEnv} is not an executable file`);
    return { found: false, bin, reason: `jaeger binary not found at ${bin}; run scripts/jaeger.sh` };
  }
}

/** Jaeger's query API model (GET /api/traces/{id}), the parts the tests read. */
export interface JaegerTag {
  key: string;
  type: string;
  value: string | number | boolean;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
  warnings: string[] | null;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

export class Jaeger {
  private exited: Promise<void>;
  private output: string[] = [];
  private exitCode: number | string | null = null;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        process.off('exit', this.killOnExit);
        done();
      }),
    );
    // A jest worker that dies skips afterAll; Jaeger must not outlive it.
    process.once('exit', this.killOnExit);
  }

  /** Starts Jaeger and resolves once its health check and query API answer. */
  static async start(bin: string, timeoutMs = 30_000): Promise<Jaeger> {
    await assertPortsFree();
    const args = [
      // The all-in-one config binds everything to JAEGER_LISTEN_HOST except
      // the query extension, which defaults to all interfaces.
      `--set=extensions.jaeger_query.http.endpoint=${HOST}:16686`,
      `--set=extensions.jaeger_query.grpc.endpoint=${HOST}:16685`,
      // Jaeger would otherwise trace its own queries to localhost:4317 and
      // wait on that exporter for ~10 s when stopped.
      '--set=extensions.jaeger_query.enable_tracing=false',
    ];
    const child = spawnTied(bin, args, {
      // Only what it needs: no OTEL_* variables of the test process leak in.
      env: { PATH: process.env.PATH, JAEGER_LISTEN_HOST: HOST },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const jaeger = new Jaeger(child);
    try {
      await jaeger.waitUntilReady(timeoutMs);
    } catch (error) {
      await jaeger.stop();
      throw error;
    }
    return jaeger;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines Jaeger printed, for failure messages. */
  log(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitCode !== null) {
        throw new Error(`Jaeger exited (${this.exitCode}) while starting:\n${this.log()}`);
      }
      try {
        const health = await fetch(JAEGER.health);
        const services = health.ok ? await fetch(`${JAEGER.query}/api/services`) : undefined;
        if (services?.ok) return;
        last = `health ${health.status}, query ${services?.status ?? '-'}`;
      } catch (error) {
        last = String((error as Error).cause ?? error);
      }
      await sleep(100);
    }
    throw new Error(`Jaeger was not ready after ${timeoutMs} ms (${last}):\n${this.log()}`);
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. Resolves once it is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** GET /api/traces/{traceId}, polled until it holds `spans` spans (ingestion is batched). */
  async trace(traceId: string, spans: number, timeoutMs = 15_000): Promise<JaegerTrace> {
    const deadline = Date.now() + timeoutMs;
    let seen = 'not found';
    for (;;) {
      const response = await fetch(`${JAEGER.query}/api/traces/${traceId}`);
      if (response.ok) {
        const body = (await response.json()) as { data: JaegerTrace[] };
        const trace = body.data[0];
        if (trace && trace.spans.length >= spans) return trace;
        seen = `${trace?.spans.length ?? 0} spans: ${trace?.spans.map((s) => s.operationName).join(', ')}`;
      } else if (response.status !== 404) {
        throw new Error(`GET /api/traces/${traceId}: ${response.status} ${await response.text()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`trace ${traceId} did not reach ${spans} spans in Jaeger (${seen}):\n${this.log(10)}`);
      }
      await sleep(100);
    }
  }

  /**
   * Every address Jaeger listens on (TCP LISTEN and bound UDP sockets), from
   * /proc: the process's socket inodes matched against /proc/net tables.
   */
  listeningAddresses(): string[] {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${this.pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // the fd closed in between
      }
    }
    const found: string[] = [];
    for (const [table, listenState] of [
      ['tcp', '0A'],
      ['tcp6', '0A'],
      ['udp', '07'],
      ['udp6', '07'],
    ] as const) {
      let text: string;
      try {
        text = readFileSync(`/proc/net/${table}`, 'utf8');
      } catch {
        continue; // e.g. no IPv6 on this machine
      }
      for (const line of text.trim().split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const [local, state, inode] = [cols[1]!, cols[3]!, cols[9]!];
        if (state === listenState && inodes.has(inode)) found.push(`${table.slice(0, 3)} ${procAddress(local)}`);
      }
    }
    return found.sort();
  }
}

/** /proc/net's "0100007F:10DE" (little-endian IPv4, hex port) as "127.0.0.1:4318"; IPv6 stays hex. */
function procAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const host =
    ip.length === 8
      ? ip
          .match(/../g)!
          .reverse()
          .map((byte) => Number.parseInt(byte, 16))
          .join('.')
      : `[${ip}]`;
  return `${host}:${Number.parseInt(port, 16)}`;
}

/** Fails clearly, naming the ports, when something already listens where Jaeger must. */
async function assertPortsFree(): Promise<void> {
  const tcp = (port: number) =>
    new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => done(true)));
    });
  const udp = (port: number) =>
    new Promise<boolean>((done) => {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        done(false);
      });
      socket.bind({ address: HOST, port, exclusive: true }, () => socket.close(() => done(true)));
    });
  const taken = [
    ...(await Promise.all(TCP_PORTS.map(async (port) => ((await tcp(port)) ? [] : [`tcp ${port}`])))).flat(),
    ...(await Promise.all(UDP_PORTS.map(async (port) => ((await udp(port)) ? [] : [`udp ${port}`])))).flat(),
  ];
  if (taken.length > 0) {
    throw new Error(
      `cannot start Jaeger: ${taken.join(', ')} on ${HOST} already in use (another Jaeger running? see \`ss -ltnup\`); ` +
        'the end-to-end tests need Jaeger’s default ports free',
    );
  }
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A tag's value by key, or undefined. */
export function tag(tags: JaegerTag[], key: string): JaegerTag['value'] | undefined {
  return tags.find((t) => t.key === key)?.value;
}
