import type http from 'node:http';
import { Router } from '@koa/router';
import { BUILDS, load } from '../../../test/support/builds';
import { BoomError, describeServerMetrics } from '../../../test/support/server-metrics';
import { close, KOAS, type KoaClass, type KoaModule, listen, portOf, quietApp } from './helpers';

describe.each(BUILDS)('@tracewire/koa metrics (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    const servers: http.Server[] = [];
    describeServerMetrics({
      async serve(options, hold) {
        const app = quietApp(Koa);
        app.use(koa.tracing(options as never));
        const router = new Router();
        router.get('/users/:id', (ctx) => {
          ctx.body = 'ok';
        });
        router.get('/fail', () => {
          throw new BoomError('boom');
        });
        router.get('/slow', async (ctx) => {
          await hold();
          ctx.body = 'late';
        });
        app.use(router.routes());
        const server = await listen(app);
        servers.push(server);
        return portOf(server);
      },
      async closeAll() {
        await Promise.all(servers.splice(0).map(close));
      },
    });
  });
});
