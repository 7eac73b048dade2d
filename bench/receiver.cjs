// An OTLP/HTTP JSON receiver on loopback that only counts the spans it gets.
'use strict';

const http = require('node:http');

let spans = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    } catch {
      res.writeHead(400);
      res.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message === 'count') process.send({ type: 'count', spans });
  if (message === 'reset') {
    spans = 0;
    process.send({ type: 'reset' });
  }
});
process.on('disconnect', () => process.exit(0));
