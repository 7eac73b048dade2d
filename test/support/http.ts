// Shared by the HTTP adapter suites: W3C test ids and one raw request
// through node:http (so that agents and sockets are under the test's control).
import http from 'node:http';

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const PARENT_ID = 'b7ad6b7169203331';
export const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** A W3C traceparent with ids derived from `n`, all distinct. */
export function traceparentFor(n: number): { traceparent: string; traceId: string; spanId: string } {
  // Zero-padded so that different n never give the same id.
  const traceId = `a${(n + 1).toString(16).padStart(31, '0')}`;
  const spanId = `b${(n + 1).toString(16).padStart(15, '0')}`;
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request through Node's http client (so that agents and sockets are under the test's control). */
export function send(
  port: number,
  path: string,
  init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: init.agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
