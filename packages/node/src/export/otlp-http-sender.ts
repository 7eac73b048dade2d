import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { VERSION } from '../version.js';
import type { OtlpHttpSettings } from './otlp-settings.js';

const gzipped = promisify(gzip);

/**
 * An idle pooled connection is closed after this long, before the common
 * server idle timeouts (Node's 5 s): a request written on a connection the
 * server is closing at that moment fails, and since nothing here retries,
 * that failure would look like an outage.
 */
const IDLE_SOCKET_MS = 4_000;

export interface OtlpHttpSenderConfig extends OtlpHttpSettings {
  /** The full traces URL, e.g. http://collector:4318/v1/traces. */
  url: string;
}

/**
 * POSTs OTLP protobuf bodies, one attempt per call: resolves on a 2xx answer,
 * rejects with an Error saying why otherwise. No retries: the outage guard
 * decides what happens next, and must learn of a failure at once.
 */
export class OtlpHttpSender {
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: OtlpHttpSenderConfig) {
    this.url = new URL(config.url);
    const secure = this.url.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, timeout: IDLE_SOCKET_MS });
    this.headers = {
      'user-agent': `tracewire-node/${VERSION}`,
      ...config.headers,
      'content-type': 'application/x-protobuf',
      ...(config.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
    };
  }

  /** One POST of `body`, given up after `timeoutMillis` (default: the configured timeout). */
  async send(body: Uint8Array, timeoutMillis = this.config.timeoutMillis): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    const payload = this.config.compression === 'gzip' ? await gzipped(body) : body;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no answer within ${timeoutMillis} ms`);
    await this.post(payload, left, timeoutMillis);
  }

  private post(payload: Uint8Array, left: number, timeoutMillis: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'content-length': String(payload.byteLength) },
      });
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      // Unref'd, like every timer of ours: a timer is never what keeps the process alive.
      const timer = setTimeout(() => {
        settle(new Error(`no answer within ${timeoutMillis} ms`));
        request.destroy();
      }, left);
      timer.unref();
      // `on`, not `once`: a destroyed request may report more than one error, and later ones must not go unhandled.
      request.on('error', (error) => settle(new Error(describe(error))));
      request.once('response', (response) => {
        // Read to the end so that the connection goes back to the pool.
        response.resume();
        response.on('error', (error) => settle(new Error(describe(error))));
        response.once('close', () => {
          if (!response.complete) return settle(new Error('the connection closed before the answer ended'));
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return settle();
          const text = response.statusMessage ? ` ${response.statusMessage}` : '';
          settle(new Error(`the backend answered HTTP ${status}${text}`));
        });
      });
      request.end(payload);
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** A network error's own words; Node's AggregateError of a failed dual-stack connect has an empty message. */
function describe(error: Error): string {
  if (error.message) return error.message;
  const first = (error as AggregateError).errors?.[0] as Error | undefined;
  return first?.message || (error as NodeJS.ErrnoException).code || 'the connection failed';
}
