// Where the messages live: a MongoDB collection when MONGODB_URL is set
// (traced by @tracewire/mongodb: each command is a span of the request that
// issued it), else memory. Either way the seed messages are stored at start,
// and every read queries them. User 0's mailbox is broken on purpose, so that
// the demo can show an error trace: in MongoDB its read is a command the
// server refuses.
import { traceMongoClient } from '@tracewire/mongodb';
import { MongoClient } from 'mongodb';

/** Users 1 to 100 have 5 messages each; any other user has none. */
export const SEED_USERS = 100;
export const MESSAGES_PER_USER = 5;

export class MailboxUnavailableError extends Error {
  name = 'MailboxUnavailableError';
}

const unavailable = (userId, cause) =>
  new MailboxUnavailableError(`the mailbox of user ${userId} is unavailable`, cause && { cause });

function seed() {
  const messages = [];
  for (let user = 1; user <= SEED_USERS; user++) {
    const userId = String(user);
    for (let n = 1; n <= MESSAGES_PER_USER; n++) {
      messages.push({ _id: `${userId}-${n}`, userId, n, text: `message ${n} for user ${userId}` });
    }
  }
  return messages;
}

const view = ({ _id, userId, text }) => ({ id: _id, userId, text });

/** In memory: the seed, by user. */
export function memoryMailbox() {
  const byUser = new Map();
  for (const message of seed()) {
    if (!byUser.has(message.userId)) byUser.set(message.userId, []);
    byUser.get(message.userId).push(message);
  }
  return {
    kind: 'memory',
    async list(userId, count) {
      if (userId === '0') throw unavailable(userId);
      return (byUser.get(userId) ?? []).slice(0, count).map(view);
    },
    close: async () => {},
  };
}

/** In MongoDB: the seed is inserted at start (what is there already is kept); one `find` per read. */
export async function mongoMailbox(url) {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  // Before connect(): the driver reports commands only on connections opened
  // after this. Commands outside any request (the seed, the shutdown) make no
  // span: requireParentSpan is on by default.
  const tracing = traceMongoClient(client);
  await client.connect();
  const messages = client.db('messages').collection('messages');
  // A second start against the same database finds the seed there already.
  await messages.insertMany(seed(), { ordered: false }).catch((error) => {
    if (error.code !== 11000) throw error;
  });
  return {
    kind: 'mongodb',
    async list(userId, count) {
      if (userId === '0') {
        // A filter with an operator the server does not know: it answers with an error.
        const failing = await messages
          .find({ userId: { $mailboxUnavailable: true } })
          .toArray()
          .catch((error) => error);
        throw unavailable(userId, failing instanceof Error ? failing : undefined);
      }
      if (count === 0) return []; // limit(0) would be no limit
      const found = await messages.find({ userId }).sort({ n: 1 }).limit(count).toArray();
      return found.map(view);
    },
    async close() {
      tracing.untrace();
      await client.close();
    },
  };
}

export function openMailbox(url = process.env.MONGODB_URL) {
  return url ? mongoMailbox(url) : Promise.resolve(memoryMailbox());
}
