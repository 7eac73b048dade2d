// A batch of ended server spans like the ones our Express middleware makes
// (13 attributes each), for the encoding and worker benchmarks.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');

export const SERVER_ATTRIBUTES = {
  'http.request.method': 'GET',
  'url.path': '/users/42',
  'url.scheme': 'http',
  'server.address': '127.0.0.1',
  'server.port': 3000,
  'network.protocol.version': '1.1',
  'client.address': '127.0.0.1',
  'user_agent.original': 'autocannon/8.0.0',
  'http.route': '/users/:id',
  'http.response.status_code': 200,
  component: 'HTTP',
  'network.peer.address': '127.0.0.1',
  'network.peer.port': 54321,
};

/** `count` ended SERVER spans made by `Provider` (the SDK's TracerProvider or ours). */
export function serverSpans(Provider, count = 512) {
  const exporter = new InMemorySpanExporter();
  const provider = new Provider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('@tracewire/express', '0.1.0');
  for (let i = 0; i < count; i++) tracer.startSpan('GET /users/:id', { kind: 1, attributes: SERVER_ATTRIBUTES }).end();
  return exporter.getFinishedSpans();
}
