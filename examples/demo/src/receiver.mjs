// A tiny OTLP/HTTP receiver (protobuf or JSON bodies, optionally gzip) that keeps every
// span it gets in memory. The demo points the services at it; tests can too.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { spansFromOtlpJson } from './otlp-json.mjs';
import { otlpJsonFromProtobuf } from './otlp-proto.mjs';

const MAX_BODY = 16 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(req, res, onSpans) {
  if (new URL(req.url ?? '/', 'http://receiver').pathname !== '/v1/traces')
    return reply(res, 404, { message: 'only /v1/traces' });
  if (req.method !== 'POST') return reply(res, 405, { message: 'POST only' });
  const type = String(req.headers['content-type']);
  const protobuf = type.startsWith('application/x-protobuf');
  if (!protobuf && !type.startsWith('application/json')) {
    return reply(res, 415, { message: 'OTLP/HTTP takes application/x-protobuf or application/json' });
  }
  try {
    let body = await readBody(req);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    onSpans(spansFromOtlpJson(protobuf ? otlpJsonFromProtobuf(body) : JSON.parse(body.toString('utf8'))));
    // An empty ExportTraceServiceResponse, in the request's encoding.
    if (protobuf) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    else reply(res, 200, {});
  } catch (error) {
    reply(res, error.status ?? 400, { message: String(error.message ?? error) });
  }
}

/**
 * Starts the receiver on loopback.
 * @param {{ host?: string, port?: number }} [options] port 0 (default) picks a free one
 */
export async function startReceiver({ host = '127.0.0.1', port = 0 } = {}) {
  const spans = [];
  const waiters = new Set();
  const onSpans = (received) => {
    spans.push(...received);
    for (const check of waiters) check();
  };
  const server = createServer((req, res) => void handle(req, res, onSpans));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    spans,
    trace: (traceId) => spans.filter((span) => span.traceId === traceId),
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${spans.length} spans received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
