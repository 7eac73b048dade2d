// An OTLP/HTTP receiver on loopback (protobuf or JSON) that only counts the spans it gets.
'use strict';

const http = require('node:http');

const decoder = import('../examples/demo/src/otlp-proto.mjs');

let spans = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const protobuf = String(req.headers['content-type']).startsWith('application/x-protobuf');
      const bytes = Buffer.concat(chunks);
      const body = protobuf ? (await decoder).otlpJsonFromProtobuf(bytes) : JSON.parse(bytes.toString('utf8'));
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      }
      // An empty ExportTraceServiceResponse, in the request's encoding.
      res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' });
      res.end(protobuf ? undefined : '{}');
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
