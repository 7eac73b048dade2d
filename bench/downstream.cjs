// The downstream service of the fetch scenario: a bare node:http server.
'use strict';

const http = require('node:http');

const body = JSON.stringify([
  { id: 1, text: 'hello' },
  { id: 2, text: 'world' },
]);
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('disconnect', () => process.exit(0));
