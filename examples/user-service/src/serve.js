// Each example service is self-contained: the other one has the same file.
// Listens, says where, and on SIGTERM/SIGINT stops taking requests, lets the
// open ones finish, flushes the spans and exits. `announce` is added to the
// line that says where (another listener), `close` stops that listener.
import { createServer } from 'node:http';

export function serve(name, handler, tracing, { port: defaultPort, announce, close }) {
  const port = Number(process.env.PORT ?? defaultPort);
  const host = process.env.HOST || '127.0.0.1';
  const server = createServer(handler);
  server.listen(port, host, () => {
    const { address, port: actual } = server.address();
    const url = `http://${address.includes(':') ? `[${address}]` : address}:${actual}`;
    console.log(`${name} listening on ${url}${announce ? ` ${announce}` : ''}`);
  });

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${name}: ${signal}, shutting down`);
    server.close(async () => {
      await close?.();
      await tracing.shutdown();
      process.exit(0);
    });
    // Idle keep-alive connections would hold close() open, and busy ones
    // would stay busy as long as clients keep sending: every later response
    // closes its connection.
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return server;
}
