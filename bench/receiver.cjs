// An OTLP/HTTP receiver on loopback (protobuf or JSON) that only counts the spans it gets.
// Protobuf is counted by walking the wire format down to the span messages, whose
// bodies are skipped: decoding them in JavaScript cost this process more than the
// server's own encoding, on the same two cores. JSON has no such shortcut: JSON.parse.
'use strict';

const http = require('node:http');

function varint(bytes, at) {
  let value = 0;
  let scale = 1;
  let byte;
  do {
    byte = bytes[at.pos++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return value;
}

/** Calls `each(start, end)` for every length-delimited field `wanted` of the message in bytes[start, end). */
function eachField(bytes, start, end, wanted, each) {
  const at = { pos: start };
  while (at.pos < end) {
    const tag = varint(bytes, at);
    const wire = tag & 7;
    if (wire === 2) {
      const length = varint(bytes, at);
      if (tag >>> 3 === wanted) each(at.pos, at.pos + length);
      at.pos += length;
    } else if (wire === 0) varint(bytes, at);
    else if (wire === 1) at.pos += 8;
    else if (wire === 5) at.pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
  if (at.pos !== end) throw new Error('truncated message');
}

/** ExportTraceServiceRequest.resource_spans(1) > ResourceSpans.scope_spans(2) > ScopeSpans.spans(2). */
function countProtobuf(bytes) {
  let count = 0;
  eachField(bytes, 0, bytes.length, 1, (rs, re) =>
    eachField(bytes, rs, re, 2, (ss, se) =>
      eachField(bytes, ss, se, 2, () => {
        count++;
      }),
    ),
  );
  return count;
}

function countJson(bytes) {
  let count = 0;
  for (const resource of JSON.parse(bytes.toString('utf8')).resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) count += scope.spans?.length ?? 0;
  }
  return count;
}

let spans = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const protobuf = String(req.headers['content-type']).startsWith('application/x-protobuf');
    try {
      const bytes = Buffer.concat(chunks);
      spans += protobuf ? countProtobuf(bytes) : countJson(bytes);
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
