// The user service: GET /users/:id/messages?count=N returns the user and N of
// their messages, fetched from the message service through traceFetch;
// GET /users/:id/messages-grpc?count=N does the same over gRPC.
import { trace } from '@opentelemetry/api';
import { tracing, tracingErrors } from '@tracewire/express';
import { traceFetch } from '@tracewire/fetch';
import express from 'express';
import { listMessages, messageServiceClient, status } from './messages-grpc.js';

export class UpstreamError extends Error {
  name = 'UpstreamError';
  status = 502;
}

/** @param {{ messageServiceUrl: string, messageServiceGrpc: string }} config */
export function createApp({ messageServiceUrl, messageServiceGrpc }) {
  const fetch = traceFetch(globalThis.fetch);
  const messageService = messageServiceClient(messageServiceGrpc);
  const app = express();
  app.use(tracing());
  // The trace id, so a caller can look the trace up (the demo prints it).
  app.use((_req, res, next) => {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    if (traceId) res.setHeader('x-trace-id', traceId);
    next();
  });

  app.get('/users/:id/messages', async (req, res) => {
    const { id } = req.params;
    const count = req.query.count ?? '3';
    const url = new URL(`/messages/${encodeURIComponent(id)}`, messageServiceUrl);
    url.searchParams.set('count', String(count));
    let response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new UpstreamError(`message-service unreachable: ${error.message}`, { cause: error });
    }
    if (response.status === 400) {
      res.status(400).json(await response.json().catch(() => ({ error: 'bad request' })));
      return;
    }
    if (!response.ok) throw new UpstreamError(`message-service answered ${response.status}`);
    res.json({ user: { id, name: `User ${id}` }, messages: await response.json() });
  });

  app.get('/users/:id/messages-grpc', async (req, res) => {
    const { id } = req.params;
    const count = req.query.count === undefined ? 3 : Number(req.query.count);
    if (!Number.isInteger(count)) {
      res.status(400).json({ error: 'count must be an integer' });
      return;
    }
    let reply;
    try {
      reply = await listMessages(messageService, { userId: id, count });
    } catch (error) {
      if (error.code === status.INVALID_ARGUMENT) {
        res.status(400).json({ error: error.details });
        return;
      }
      throw new UpstreamError(`message-service answered ${status[error.code] ?? error.code}: ${error.details}`, {
        cause: error,
      });
    }
    res.json({ user: { id, name: `User ${id}` }, messages: reply.messages });
  });

  // Records the escaped error on the server span, then our handler answers.
  app.use(tracingErrors());
  app.use((error, _req, res, _next) => {
    const status = error.status ?? 500;
    if (status >= 500) console.error(`${error.name}: ${error.message}`);
    res.status(status).json({ error: error.message });
  });
  return app;
}
