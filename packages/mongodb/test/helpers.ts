// Shared by the MongoDB suites: the two driver majors, a real FerretDB on
// 127.0.0.1 (built by scripts/ferretdb.sh), a TCP proxy that can hold the
// server's answers, and a fake client for what no real server can do.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { BUILDS } from '../../../test/support/builds';

export type Pkg = typeof import('@tracewire/mongodb');
type FerretModule = typeof import('../../../scripts/ferretdb.cjs');
export type FerretDB = Awaited<ReturnType<FerretModule['startFerretDB']>>;

const ferretdb = require('../../../scripts/ferretdb.cjs') as FerretModule;

// The drivers' own types differ between majors in details the tests do not use.
// biome-ignore lint/suspicious/noExplicitAny: a MongoClient of either major
export type Client = any;
export interface Driver {
  major: string;
  MongoClient: new (url: string, options?: object) => Client;
}

export const DRIVERS: Driver[] = [
  { major: '6', MongoClient: require('mongodb6').MongoClient },
  { major: '7', MongoClient: require('mongodb7').MongoClient },
];

/** Every driver through every build. */
export const DRIVER_BUILDS = DRIVERS.flatMap((driver) => BUILDS.map((build) => ({ driver, build })));

/**
 * The FerretDB binary. When CI named it (FERRETDB_BIN), a missing binary
 * throws, so the suite fails; elsewhere the suite is skipped, and says why.
 */
export function ferretdbOrSkip(suite: string): { describe: jest.Describe; bin: string } {
  const located = ferretdb.locateFerretDB();
  if (!located.found) {
    console.warn(`${suite} skipped: ${located.reason}`);
    return { describe: describe.skip, bin: '' };
  }
  return { describe, bin: located.bin };
}

export const startFerretDB = (bin: string): Promise<FerretDB> => ferretdb.startFerretDB(bin);

/** A client of this driver on this server, one connection unless asked (events come in a known order). */
export function clientOf(driver: Driver, url: string, options: object = {}): Client {
  return new driver.MongoClient(url, { directConnection: true, serverSelectionTimeoutMS: 5000, ...options });
}

/**
 * A TCP proxy to `port`. `hold()` keeps every later answer of the server
 * from the client (the command stays in flight), `release()` lets them through.
 */
export interface Proxy {
  url: string;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(port: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let holding = false;
  const held: (() => void)[] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (holding) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address() as { port: number };
  return {
    url: `mongodb://127.0.0.1:${address.port}/`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** A stand-in client that emits the driver's command events when told to. */
export class FakeClient extends EventEmitter {
  options: { monitorCommands?: boolean } = {};
  monitorCommands?: boolean;
  topology?: object;
  private nextId = 1;
  /** Where each started command went, as the driver's events say: address and connection id. */
  private readonly sentTo = new Map<number, { address: string; connectionId: number }>();

  started(
    commandName: string,
    command: Record<string, unknown> = { [commandName]: 'messages' },
    databaseName = 'app',
    { address = '127.0.0.1:27017', connectionId = 1, requestId = this.nextId++ } = {},
  ) {
    this.sentTo.set(requestId, { address, connectionId });
    this.emit('commandStarted', { requestId, connectionId, commandName, databaseName, command, address });
    return requestId;
  }

  private endOf(requestId: number, commandName: string) {
    const { address, connectionId } = this.sentTo.get(requestId) ?? { address: '127.0.0.1:27017', connectionId: 1 };
    return { requestId, connectionId, address, commandName, duration: 1 };
  }

  succeeded(requestId: number, reply: Record<string, unknown> = { ok: 1 }, commandName = 'find') {
    this.emit('commandSucceeded', { ...this.endOf(requestId, commandName), reply });
  }

  failed(requestId: number, failure: unknown, commandName = 'find') {
    this.emit('commandFailed', { ...this.endOf(requestId, commandName), failure });
  }
}

/**
 * A registered diag logger whose `warn` is a mock, not a spy on `diag.warn`:
 * since API 1.10 the ES build logs through its own `diag` object, and only
 * the registered logger is shared. Call in beforeEach; `diag.disable()` after.
 */
export function diagWarnings(): jest.Mock {
  const warn = jest.fn();
  diag.setLogger({ warn, error: jest.fn(), info: jest.fn(), debug: jest.fn(), verbose: jest.fn() }, DiagLogLevel.WARN);
  return warn;
}

export const wait = (ms: number) => new Promise((done) => setTimeout(done, ms));
