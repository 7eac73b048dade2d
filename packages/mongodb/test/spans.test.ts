// Every row of the span contract's "Database client span (MongoDB)" section
// that a real server can show, against FerretDB (a MongoDB-wire server), for
// the 6.x and 7.x drivers, through the CJS and the ESM build; and 50
// concurrent traced HTTP requests on a pool of one connection.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { type Client, clientOf, DRIVERS, type FerretDB, ferretdbOrSkip, type Pkg, startFerretDB } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());
const { describe: describeFerret, bin } = ferretdbOrSkip('MongoDB span tests against FerretDB');

type FinishedSpan = ReturnType<typeof otel.spans>[number];
const named = (spans: FinishedSpan[], name: string) => spans.filter((span) => span.name === name);

describeFerret.each(DRIVERS.flatMap((driver) => BUILDS.map((build) => ({ driver, build }))))(
  '@tracewire/mongodb spans, driver $driver.major ($build build)',
  ({ driver, build }) => {
    let pkg: Pkg;
    let server: FerretDB;
    let client: Client;
    let tracing: { untrace(): void };
    const tracer = () => otel.provider.getTracer('test');

    beforeAll(async () => {
      pkg = await load<Pkg>('@tracewire/mongodb', build);
      server = await startFerretDB(bin);
      client = clientOf(driver, server.url);
      tracing = pkg.traceMongoClient(client, { tracerProvider: otel.provider });
      await client.connect();
      await client
        .db('app')
        .collection('messages')
        .insertMany([
          { _id: 1, userId: 'u-42', text: 'secret one' },
          { _id: 2, userId: 'u-42', text: 'secret two' },
          { _id: 3, userId: 'u-7', text: 'secret three' },
        ]);
    });
    afterAll(async () => {
      tracing?.untrace();
      await client?.close();
      await server?.stop();
    });
    afterEach(() => otel.reset());

    /** Runs `work` inside a parent span; resolves with the parent once it ended. */
    async function underParent<T>(work: () => Promise<T>) {
      const parent = tracer().startSpan('GET /users/:id/messages', { kind: SpanKind.SERVER });
      const result = await context.with(trace.setSpan(ROOT_CONTEXT, parent), work).catch((error: unknown) => error);
      parent.end();
      return { parent, result };
    }

    test('VERSION matches package.json; traceMongoClient is exported', () => {
      expect(pkg.VERSION).toBe(require('../package.json').version);
      expect(typeof pkg.traceMongoClient).toBe('function');
    });

    test('find: one CLIENT span from start to end, child of the active span, with every attribute', async () => {
      const before = process.hrtime.bigint();
      const { parent, result } = await underParent(() =>
        client.db('app').collection('messages').find({ userId: 'u-42' }).toArray(),
      );
      expect(result).toHaveLength(2);
      const spans = await waitForSpans(otel.spans, 2);
      const [find] = named(spans, 'find messages');
      expect(find?.kind).toBe(SpanKind.CLIENT);
      expect(find?.instrumentationScope).toEqual({
        name: '@tracewire/mongodb',
        version: require('../package.json').version,
        schemaUrl: undefined,
      });
      expect(find?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(find?.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(find?.attributes).toEqual({
        component: 'mongodb',
        'db.system.name': 'mongodb',
        'db.namespace': 'app',
        'db.collection.name': 'messages',
        'db.operation.name': 'find',
        'server.address': '127.0.0.1',
        'server.port': server.port,
      });
      expect(find?.status.code).toBe(SpanStatusCode.UNSET);
      expect(find?.events).toEqual([]);
      // A real duration: the span started after `before` and lasted more than nothing.
      const ns = (time: [number, number]) => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
      expect(ns(find!.endTime) > ns(find!.startTime)).toBe(true);
      expect(process.hrtime.bigint() > before).toBe(true);
    });

    test('a command without a collection is named after the database: ping app, listCollections app', async () => {
      await underParent(async () => {
        await client.db('app').command({ ping: 1 });
        await client.db('app').listCollections().toArray();
      });
      const spans = await waitForSpans(otel.spans, 3);
      for (const [name, operation] of [
        ['ping app', 'ping'],
        ['listCollections app', 'listCollections'],
      ]) {
        const [span] = named(spans, name as string);
        expect(span?.attributes['db.operation.name']).toBe(operation);
        expect(span?.attributes['db.namespace']).toBe('app');
        expect(span?.attributes['db.collection.name']).toBeUndefined();
      }
    });

    test('a cursor read in batches: find, then getMore on the same collection, each its own span', async () => {
      await underParent(() => client.db('app').collection('messages').find({}, { batchSize: 1 }).toArray());
      const spans = await waitForSpans(otel.spans, 3);
      const getMores = named(spans, 'getMore messages');
      expect(named(spans, 'find messages')).toHaveLength(1);
      expect(getMores.length).toBeGreaterThanOrEqual(2);
      for (const span of getMores) {
        expect(span.attributes['db.operation.name']).toBe('getMore');
        expect(span.attributes['db.collection.name']).toBe('messages');
      }
    });

    test('concurrent commands each get the span that was active where they were issued', async () => {
      const parents = [tracer().startSpan('a'), tracer().startSpan('b'), tracer().startSpan('c')];
      await Promise.all(
        parents.map((parent, i) =>
          context.with(trace.setSpan(ROOT_CONTEXT, parent), () =>
            client
              .db('app')
              .collection('messages')
              .findOne({ _id: i + 1 }),
          ),
        ),
      );
      for (const parent of parents) parent.end();
      const spans = await waitForSpans(otel.spans, 6);
      const finds = named(spans, 'find messages');
      expect(finds).toHaveLength(3);
      expect(finds.map((span) => span.parentSpanContext?.spanId).sort()).toEqual(
        parents.map((parent) => parent.spanContext().spanId).sort(),
      );
    });

    test('no document, reply or query text is recorded unless asked', async () => {
      await underParent(async () => {
        const messages = client.db('app').collection('messages');
        await messages.find({ userId: 'u-42' }).toArray();
        await messages.updateOne({ _id: 3 }, { $set: { text: 'secret three' } });
      });
      const spans = await waitForSpans(otel.spans, 3);
      const text = JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]));
      expect(text).not.toMatch(/secret|u-42/);
      for (const span of spans) expect(span.attributes['db.query.text']).toBeUndefined();
    });

    test('a duplicate key is a failure: ERROR, error.type DuplicateKey, db.response.status_code 11000', async () => {
      const { result } = await underParent(() => client.db('app').collection('messages').insertOne({ _id: 1 }));
      expect((result as { code?: number }).code).toBe(11000);
      const [insert] = named(await waitForSpans(otel.spans, 2), 'insert messages');
      expect(insert?.status.code).toBe(SpanStatusCode.ERROR);
      expect(insert?.attributes['error.type']).toBe('DuplicateKey');
      expect(insert?.attributes['db.response.status_code']).toBe('11000');
      // The server's message quotes the key: it is not recorded.
      expect(insert?.status.message).toBeUndefined();
      expect(insert?.events).toEqual([]);
    });

    test('a failed command: ERROR with the server code name as error.type and its number as status code', async () => {
      const { result } = await underParent(() =>
        client
          .db('app')
          .collection('messages')
          .aggregate([{ $noSuchStage: 1 }])
          .toArray(),
      );
      const error = result as { code: number; codeName: string };
      expect(typeof error.code).toBe('number');
      const [aggregate] = named(await waitForSpans(otel.spans, 2), 'aggregate messages');
      expect(aggregate?.status.code).toBe(SpanStatusCode.ERROR);
      expect(aggregate?.attributes['error.type']).toBe(error.codeName);
      expect(aggregate?.attributes['db.response.status_code']).toBe(String(error.code));
      expect(JSON.stringify(aggregate?.status)).not.toContain('noSuchStage');
    });

    test('a command that works is UNSET, never OK; the insert that works has no error attributes', async () => {
      await underParent(() =>
        client
          .db('app')
          .collection('messages')
          .insertOne({ _id: 100 + Number(driver.major) }),
      );
      const [insert] = named(await waitForSpans(otel.spans, 2), 'insert messages');
      expect(insert?.status).toEqual({ code: SpanStatusCode.UNSET });
      expect(insert?.attributes['error.type']).toBeUndefined();
      expect(insert?.attributes['db.response.status_code']).toBeUndefined();
      await client
        .db('app')
        .collection('messages')
        .deleteOne({ _id: 100 + Number(driver.major) });
    });

    test('50 concurrent traced HTTP requests, three operations each, on maxPoolSize 1: every command span is a child of its own request', async () => {
      const express = require('express5') as typeof import('express');
      const { tracing: expressTracing } = require('@tracewire/express') as typeof import('@tracewire/express');
      // One connection: the requests queue for it, and each command still runs in its own request's context.
      const pooled = clientOf(driver, server.url, { maxPoolSize: 1 });
      // Which request issued a command, read from the command itself.
      const requestOf = (command: Record<string, unknown>): number => {
        const filter = command.filter as { req?: number } | undefined;
        const documents = command.documents as { req?: number }[] | undefined;
        return filter?.req ?? documents?.[0]?.req ?? -1;
      };
      const traced = pkg.traceMongoClient(pooled, {
        tracerProvider: otel.provider,
        requestHook: (span: Span, info: { command: Record<string, unknown> }) => {
          span.setAttribute('test.request', requestOf(info.command));
        },
      });
      const app = express();
      app.use(expressTracing({ tracerProvider: otel.provider }));
      app.get('/requests/:n', async (req, res) => {
        const n = Number(req.params.n);
        const load = pooled.db('app').collection('load');
        const before = await load.find({ req: n }).toArray();
        await load.insertOne({ req: n, _id: `${driver.major}-${build}-${n}` });
        const after = await load.find({ req: n }).toArray();
        res.json({ before: before.length, after: after.length });
      });
      const httpServer = http.createServer(app).listen(0, '127.0.0.1');
      await once(httpServer, 'listening');
      const { port } = httpServer.address() as AddressInfo;
      try {
        const N = 50;
        const answers = await Promise.all(
          Array.from({ length: N }, (_, n) =>
            fetch(`http://127.0.0.1:${port}/requests/${n}`).then((response) => response.json()),
          ),
        );
        expect(answers).toEqual(Array.from({ length: N }, () => ({ before: 0, after: 1 })));
        const spans = await waitForSpans(otel.spans, N * 4);
        const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
        const commands = spans.filter((span) => span.attributes.component === 'mongodb');
        expect(servers).toHaveLength(N);
        expect(commands).toHaveLength(N * 3);
        const byId = new Map(servers.map((span) => [span.spanContext().spanId, span]));
        for (const command of commands) {
          const parent = byId.get(command.parentSpanContext?.spanId as string);
          expect(parent).toBeDefined();
          expect(command.spanContext().traceId).toBe(parent?.spanContext().traceId);
          // The request the command belongs to is the one whose span is its parent.
          expect(`/requests/${command.attributes['test.request']}`).toBe(parent?.attributes['url.path']);
        }
        for (const span of servers) {
          const children = commands.filter((c) => c.parentSpanContext?.spanId === span.spanContext().spanId);
          expect(children.map((c) => c.name)).toEqual(['find load', 'insert load', 'find load']);
        }
      } finally {
        httpServer.closeAllConnections();
        httpServer.close();
        traced.untrace();
        await pooled.close();
      }
    }, 30_000);
  },
);
