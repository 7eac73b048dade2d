// The message service: GET /messages/:userId?count=N returns up to N of the
// user's messages (grpc.js serves the same over gRPC), read from the mailbox
// (mailbox.js: MongoDB when MONGODB_URL is set, else memory).
// User 0's mailbox is broken on purpose, so the demo can show an error trace.
import Router from '@koa/router';
import { tracing } from '@tracewire/koa';
import Koa from 'koa';

export { MailboxUnavailableError } from './mailbox.js';

export const MAX_COUNT = 100;

function parseCount(value) {
  if (value === undefined) return 3;
  const count = Number(value);
  return Number.isInteger(count) && count >= 0 && count <= MAX_COUNT ? count : undefined;
}

/** The messages of a user from the mailbox, for the HTTP route and the gRPC method alike. */
export function listMessages(mailbox, userId, count) {
  return mailbox.list(userId, count);
}

/** @param {{ list(userId: string, count: number): Promise<object[]> }} mailbox */
export function createApp(mailbox) {
  const app = new Koa();
  app.use(tracing());
  // One line per server error instead of Koa's default stack dump.
  app.on('error', (error, ctx) => console.error(`${ctx?.method} ${ctx?.path}: ${error.name}: ${error.message}`));

  const router = new Router();
  router.get('/messages/:userId', async (ctx) => {
    const { userId } = ctx.params;
    const count = parseCount(ctx.query.count);
    if (count === undefined) ctx.throw(400, `count must be an integer from 0 to ${MAX_COUNT}`);
    ctx.body = await listMessages(mailbox, userId, count);
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
