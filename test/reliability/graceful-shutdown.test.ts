// Graceful shutdown under load: both example services run as their own
// processes, exporting over OTLP/HTTP to a local receiver, while clients keep
// calling them. Each gets SIGTERM in the middle of that load; its shutdown()
// must flush, so that the receiver holds a SERVER span for every request that
// got a response. (The batch delay is the SDK's default 5 s: most spans are
// still queued when the signal arrives.)
import http from 'node:http';
import { type RunningService, startService } from './support/services';

type ReceiverModule = typeof import('../../examples/demo/src/receiver.mjs', { with: { 'resolution-mode': 'import' }});
type Receiver = Awaited<ReturnType<ReceiverModule['startReceiver']>>;

const CONCURRENCY = 16;

/** Trace ids of our own, one per request, so that each response can be matched with its span. */
const traceIdOf = (n: number) => `a${n.toString(16).padStart(31, '0')}`;

interface Answered {
  traceId: string;
  status: number;
}

/** Keeps `CONCURRENCY` requests in flight against `url` until `stop()`; records every response. */
function loadUntilStopped(url: string, path: (n: number) => string, first: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const answered: Answered[] = [];
  let failed = 0;
  let next = first;
  let running = true;
  const one = (n: number) =>
    new Promise<void>((done) => {
      const traceId = traceIdOf(n);
      const req = http.get(
        `${url}${path(n)}`,
        { agent, headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
        (res) => {
          res.resume();
          res.on('end', () => {
            answered.push({ traceId, status: res.statusCode ?? 0 });
            done();
          });
          res.on('error', () => {
            failed++;
            done();
          });
        },
      );
      req.on('error', () => {
        failed++;
        // A stopped service refuses at once: do not spin.
        setTimeout(done, 5);
      });
    });
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (running) await one(next++);
  });
  return {
    answered,
    failed: () => failed,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
    },
  };
}

describe('graceful shutdown of the example services under load', () => {
  let receiver: Receiver;
  const services: RunningService[] = [];

  beforeAll(async () => {
    const { startReceiver } = (await import('../../examples/demo/src/receiver.mjs')) as ReceiverModule;
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const service of services) service.kill();
    await receiver.close();
  });

  test('SIGTERM flushes: the receiver holds a server span for every request that got a response', async () => {
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const messages = await startService('message-service', otel);
    services.push(messages);
    const users = await startService('user-service', { ...otel, MESSAGE_SERVICE_URL: messages.url });
    services.push(users);

    // Two streams: the user service (which calls the message service) and the message service itself.
    const toUsers = loadUntilStopped(users.url, (n) => `/users/${n}/messages?count=2`, 1);
    const toMessages = loadUntilStopped(messages.url, (n) => `/messages/${n}?count=2`, 1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The message service goes first: the user service then answers 502 for a while, still traced.
    const messagesExit = await messages.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const usersExit = await users.terminate();
    await Promise.all([toUsers.stop(), toMessages.stop()]);

    expect(messagesExit).toMatchObject({ code: 0, signal: null });
    expect(usersExit).toMatchObject({ code: 0, signal: null });
    expect(messages.output()).toContain('SIGTERM, shutting down');
    expect(users.output()).toContain('SIGTERM, shutting down');

    const serverSpans = (service: string) =>
      new Set(receiver.spans.filter((s) => s.kind === 'SERVER' && s.service === service).map((s) => s.traceId));
    const userSpans = serverSpans('user-service');
    const messageSpans = serverSpans('message-service');
    const lostUsers = toUsers.answered.filter((a) => !userSpans.has(a.traceId));
    const lostMessages = toMessages.answered.filter((a) => !messageSpans.has(a.traceId));
    const upstreamDown = toUsers.answered.filter((a) => a.status === 502).length;
    console.log(
      `user-service: ${toUsers.answered.length} responses (${upstreamDown} of them 502 after the message service stopped), ` +
        `${toUsers.failed()} refused after SIGTERM, ${lostUsers.length} without a span, exit in ${usersExit.ms} ms; ` +
        `message-service: ${toMessages.answered.length} responses, ${toMessages.failed()} refused, ` +
        `${lostMessages.length} without a span, exit in ${messagesExit.ms} ms`,
    );
    expect(toUsers.answered.length).toBeGreaterThan(100);
    expect(toMessages.answered.length).toBeGreaterThan(100);
    expect(lostUsers).toEqual([]);
    expect(lostMessages).toEqual([]);
    // The load really was there at SIGTERM: requests kept coming and were refused once the services stopped.
    expect(toMessages.failed()).toBeGreaterThan(0);
    expect(upstreamDown).toBeGreaterThan(0);
  }, 90_000);
});
