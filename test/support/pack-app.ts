// The app test/pack.test.ts installs our tarballs into: an Express service
// that calls a Koa service through traceFetch, set up by @tracewire/node with
// its defaults (OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT). It sends
// one request, shuts down (which exports every span) and prints what the Koa
// service saw as JSON. The same app in ESM and in CommonJS.
const body = `
const otel = setupTracing({ serviceName: 'pack-check' });
const fetch = traceFetch(globalThis.fetch);

const koa = new Koa();
const router = new Router();
router.get('/messages/:id', (ctx) => {
  ctx.body = { traceparent: ctx.get('traceparent') };
});
koa.use(koaTracing()).use(router.routes());
const koaServer = koa.listen(0, '127.0.0.1');
await new Promise((resolve) => koaServer.once('listening', resolve));

const app = express();
app.use(expressTracing());
app.get('/users/:id', async (req, res) => {
  const reply = await fetch(\`http://127.0.0.1:\${koaServer.address().port}/messages/\${req.params.id}\`);
  res.json(await reply.json());
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));

const seen = await (await globalThis.fetch(\`http://127.0.0.1:\${server.address().port}/users/42\`)).json();
server.closeAllConnections();
server.close();
koaServer.close();
await otel.shutdown();
console.log(JSON.stringify(seen));
`;

export const appSource: Record<string, string> = {
  'app.mjs': `import { tracing as expressTracing } from '@tracewire/express';
import { traceFetch } from '@tracewire/fetch';
import { tracing as koaTracing } from '@tracewire/koa';
import { setupTracing } from '@tracewire/node';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
${body}`,
  'app.cjs': `const { tracing: expressTracing } = require('@tracewire/express');
const { traceFetch } = require('@tracewire/fetch');
const { tracing: koaTracing } = require('@tracewire/koa');
const { setupTracing } = require('@tracewire/node');
const Router = require('@koa/router');
const express = require('express');
const Koa = require('koa');
(async () => {${body}})();
`,
};
