import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the downstream server received it. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Downstream {
  url: string;
  port: number;
  received: Received[];
  /** Lets the response of `/hold` finish (its headers are sent at once, its body only then). */
  release(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback that records what it receives:
 * `/status/<code>` answers with that code, `/slow` waits 5 s before
 * answering, `/hold` sends its headers then waits for `release()`, anything
 * else answers 200 with an `x-reply` header.
 */
export async function startDownstream(): Promise<Downstream> {
  const received: Received[] = [];
  const held: Array<() => void> = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      received.push({ method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const status = /^\/status\/(\d{3})/.exec(url);
      if (status) {
        const code = Number(status[1]);
        res.writeHead(code, code >= 300 && code < 400 ? { location: '/elsewhere' } : {});
        res.end();
      } else if (url.startsWith('/slow')) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.end('late');
        }, 5000);
        timers.add(timer);
        res.on('close', () => clearTimeout(timer));
      } else if (url.startsWith('/hold')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first part;');
        held.push(() => res.end('second part'));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-reply': 'yes', 'x-secret': 'no' });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    release() {
      for (const end of held.splice(0)) end();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const end of held.splice(0)) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it: connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
