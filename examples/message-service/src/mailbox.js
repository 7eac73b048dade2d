// Where the messages live: a MongoDB collection when MONGODB_URL is set
// (traced by @tracewire/mongodb: each command is a span of the request that
// issued it), else memory. A user's mailbox fills itself on first read with
// messages n = 1, 2, ... so that any user id has messages to show.
import { traceMongoClient } from '@tracewire/mongodb';
import { MongoClient } from 'mongodb';

const message = (userId, n) => ({ _id: `${userId}-${n}`, userId, n, text: `message ${n} for user ${userId}` });
const view = ({ _id, userId, text }) => ({ id: _id, userId, text });

/** In memory: the messages are made on every read, nothing is stored. */
export function memoryMailbox() {
  return {
    kind: 'memory',
    list: async (userId, count) => Array.from({ length: count }, (_, i) => view(message(userId, i + 1))),
    close: async () => {},
  };
}

/** In MongoDB: one `find` per read; the first read of a user also `insert`s the messages it lacked. */
export async function mongoMailbox(url) {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  // Before connect(): the driver reports commands only on connections opened after this.
  const untrace = traceMongoClient(client);
  await client.connect();
  const messages = client.db('messages').collection('messages');
  return {
    kind: 'mongodb',
    async list(userId, count) {
      const found = await messages.find({ userId }).sort({ n: 1 }).limit(count).toArray();
      if (found.length < count) {
        const missing = Array.from({ length: count - found.length }, (_, i) => message(userId, found.length + i + 1));
        // Two first reads at once insert the same ids: the duplicate keys are the other read's work.
        await messages.insertMany(missing, { ordered: false }).catch((error) => {
          if (error.code !== 11000) throw error;
        });
        found.push(...missing);
      }
      return found.map(view);
    },
    async close() {
      // The shutdown's own commands (endSessions) belong to no request: not traced.
      untrace();
      await client.close();
    },
  };
}

export function openMailbox(url = process.env.MONGODB_URL) {
  return url ? mongoMailbox(url) : Promise.resolve(memoryMailbox());
}
