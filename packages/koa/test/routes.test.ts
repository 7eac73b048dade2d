import { Router } from '@koa/router';
import type KoaApplication from 'koa';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { close, KOAS, type KoaClass, type KoaModule, listen, quietApp } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

/**
 * One app with every way @koa/router builds a path: a router prefix, a
 * prefix set later with prefix(), nested routers mounted with and without
 * paths (parameters included), router middleware that answers before the
 * route, a handler that passes on to later middleware, two routers in a row.
 */
function routedApp(Koa: KoaClass, koa: KoaModule, provider: unknown): KoaApplication {
  const app = quietApp(Koa);
  app.use(koa.tracing({ tracerProvider: provider as never }));

  const api = new Router({ prefix: '/api' });
  api.use(async (ctx, next) => {
    if (ctx.query.deny !== undefined) ctx.throw(401);
    await next();
  });
  api.get('/users/:id', (ctx) => {
    ctx.body = 'user';
  });
  api.get('/next', async (ctx, next) => {
    await next();
    ctx.body = 'passed on';
  });
  api.use('/next', async (_ctx, next) => {
    await next();
  });

  const posts = new Router();
  posts.get('/', (ctx) => {
    ctx.body = 'posts';
  });
  posts.get('/:postId', (ctx) => {
    ctx.body = 'post';
  });
  const orgs = new Router();
  orgs.use('/posts', posts.routes());
  api.use('/orgs/:org', orgs.routes());

  const admin = new Router({ prefix: '/admin' });
  admin.get('/stats', (ctx) => {
    ctx.body = 'stats';
  });
  api.use(admin.routes());

  const late = new Router();
  late.get('/reports/:year', (ctx) => {
    ctx.body = 'report';
  });
  late.prefix('/v2');

  const regexp = new Router();
  regexp.get(/^\/re\/\d+$/, (ctx) => {
    ctx.body = 'regexp';
  });

  app.use(api.routes()).use(api.allowedMethods());
  app.use(late.routes());
  app.use(regexp.routes());
  // A router of another kind, or the app, can name the route itself.
  app.use((ctx) => {
    if (ctx.path.startsWith('/custom/')) {
      (ctx as unknown as { routePath: string }).routePath = '/custom/:slug';
      ctx.body = 'custom';
    }
  });
  return app;
}

describe.each(BUILDS)('@tracewire/koa routes from @koa/router (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });
  afterEach(() => otel.reset());

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    test.each([
      // [method, path, status, expected http.route]
      ['GET', '/api/users/42?tab=1', 200, '/api/users/:id'],
      ['HEAD', '/api/users/42', 200, '/api/users/:id'],
      ['GET', '/api/orgs/acme/posts', 200, '/api/orgs/:org/posts'],
      ['GET', '/api/orgs/acme/posts/9', 200, '/api/orgs/:org/posts/:postId'],
      ['GET', '/api/admin/stats', 200, '/api/admin/stats'],
      ['GET', '/v2/reports/2024', 200, '/v2/reports/:year'],
      // Router middleware answered (401) before the route ran: still the route.
      ['GET', '/api/users/42?deny', 401, '/api/users/:id'],
      // The handler passed on to a later router.use() layer: still the route.
      ['GET', '/api/next', 200, '/api/next'],
      // Path matched but not the method: the router matched no route.
      ['POST', '/api/users/42', 405, undefined],
      ['GET', '/api/unknown', 404, undefined],
      // A RegExp route has no template: the path names the span.
      ['GET', '/re/12', 200, undefined],
      ['GET', '/custom/hello', 200, '/custom/:slug'],
    ] as const)('%s %s → %s, http.route %s', async (method, path, status, route) => {
      const server = await listen(routedApp(Koa, koa, otel.provider));
      try {
        const res = await request(server)[method === 'HEAD' ? 'head' : method === 'POST' ? 'post' : 'get'](path);
        expect(res.status).toBe(status);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.attributes['http.route']).toBe(route);
        expect(span?.name).toBe(`${method} ${route ?? path.split('?')[0]}`);
        expect(span?.attributes['http.response.status_code']).toBe(status);
      } finally {
        await close(server);
      }
    });
  });
});
