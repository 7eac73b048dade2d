// The reference for variant 3: the least a server-span middleware can do with
// the same SDK (start a span, make it active, end it on 'finish'), without
// tracewire's route names, attributes, status rules or event contexts. Its
// cost is the SDK's own, the floor under variant 3.
'use strict';

const { context, SpanKind, trace } = require('@opentelemetry/api');

const tracer = trace.getTracer('bench-minimal');

function express() {
  return (req, res, next) => {
    const span = tracer.startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER });
    res.once('finish', () => span.end());
    context.with(trace.setSpan(context.active(), span), next);
  };
}

function koa() {
  return (ctx, next) => {
    const span = tracer.startSpan(`${ctx.method} ${ctx.path}`, { kind: SpanKind.SERVER });
    ctx.res.once('finish', () => span.end());
    return context.with(trace.setSpan(context.active(), span), next);
  };
}

module.exports = { express, koa };
