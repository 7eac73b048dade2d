// The benchmarked apps: the same routes for every variant. Only what is
// passed in (middleware, fetch) differs between variants.
'use strict';

const USER = { id: '', name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'author'] };

function express(expressModule, middleware, fetch, downstream) {
  const app = expressModule();
  if (middleware) app.use(middleware);
  app.get('/users/:id', (req, res) => {
    res.json({ ...USER, id: req.params.id });
  });
  app.get('/users/:id/messages', async (req, res, next) => {
    try {
      const response = await fetch(`${downstream}/messages/${req.params.id}`);
      res.json({ ...USER, id: req.params.id, messages: await response.json() });
    } catch (error) {
      next(error);
    }
  });
  return app.listen.bind(app);
}

function koa(Koa, Router, middleware, fetch, downstream) {
  const app = new Koa();
  const router = new Router();
  if (middleware) app.use(middleware);
  router.get('/users/:id', (ctx) => {
    ctx.body = { ...USER, id: ctx.params.id };
  });
  router.get('/users/:id/messages', async (ctx) => {
    const response = await fetch(`${downstream}/messages/${ctx.params.id}`);
    ctx.body = { ...USER, id: ctx.params.id, messages: await response.json() };
  });
  app.use(router.routes());
  return app.listen.bind(app);
}

module.exports = { express, koa };
