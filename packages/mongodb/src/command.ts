// What a span says about a command, read from the driver's commandStarted
// event: the collection, the server, and (opted in) the command's shape.

// Commands whose first value names a collection (getMore names it in `collection`).
const COLLECTION_COMMANDS = new Set([
  'aggregate',
  'collMod',
  'collStats',
  'compact',
  'count',
  'create',
  'createIndexes',
  'createSearchIndexes',
  'delete',
  'distinct',
  'drop',
  'dropIndexes',
  'dropSearchIndex',
  'find',
  'findAndModify',
  'insert',
  'killCursors',
  'listIndexes',
  'mapReduce',
  'update',
  'updateSearchIndex',
  'validate',
]);

/** The collection a command runs on; undefined for database and server commands (`ping`, `listCollections`, `aggregate: 1`). */
export function collectionOf(operation: string, command: Record<string, unknown>): string | undefined {
  const value =
    operation === 'getMore' ? command.collection : COLLECTION_COMMANDS.has(operation) ? command[operation] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// Authentication and user management: the driver empties some of these
// commands in its events; none of them is ever shown, even as a shape.
const REDACTED = new Set([
  'authenticate',
  'copydb',
  'copydbgetnonce',
  'copydbsaslstart',
  'createRole',
  'createUser',
  'dropAllUsersFromDatabase',
  'dropUser',
  'getnonce',
  'grantRolesToUser',
  'revokeRolesFromUser',
  'saslContinue',
  'saslStart',
  'updateRole',
  'updateUser',
]);
const HELLO = new Set(['hello', 'isMaster', 'ismaster']);

export function isRedacted(operation: string, command: Record<string, unknown>): boolean {
  return (
    REDACTED.has(operation) ||
    (HELLO.has(operation) && (command.speculativeAuthenticate !== undefined || Object.keys(command).length === 0))
  );
}

// What the driver adds to every command: session, cluster time, routing. Not the app's query.
const ENVELOPE = new Set([
  '$clusterTime',
  '$db',
  '$readPreference',
  'apiDeprecationErrors',
  'apiStrict',
  'apiVersion',
  'autocommit',
  'lsid',
  'startTransaction',
  'txnNumber',
]);
const MAX_DEPTH = 32;

function shape(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return '?';
  if (Array.isArray(value)) return value.map((item) => shape(item, depth + 1));
  // A BSON value (ObjectId, Long, Decimal128, Binary, Timestamp), a Date, a RegExp, bytes: one value.
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || '_bsontype' in value) return '?';
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = shape((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/**
 * `db.query.text`: the command as JSON with every value replaced by `?`,
 * keys kept, the collection name kept, the driver's envelope left out:
 * `{"find":"messages","filter":{"userId":"?"},"limit":"?"}`.
 */
export function queryText(operation: string, collection: string | undefined, command: Record<string, unknown>): string {
  const named = operation === 'getMore' ? 'collection' : operation;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(command)) {
    if (ENVELOPE.has(key)) continue;
    out[key] = key === named && collection !== undefined ? collection : shape(command[key], 1);
  }
  return JSON.stringify(out);
}

export interface ServerAddress {
  address: string;
  port?: number;
}

/** `server.address` and `server.port` from the driver's `host:port`, `[ipv6]:port`, or a socket path. */
export function serverOf(address: string): ServerAddress {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close > 0) {
      const port = Number(address.slice(close + 2));
      return Number.isInteger(port) && port > 0
        ? { address: address.slice(1, close), port }
        : { address: address.slice(1, close) };
    }
  }
  const colon = address.lastIndexOf(':');
  if (colon > 0 && address.indexOf(':') === colon) {
    const port = Number(address.slice(colon + 1));
    if (Number.isInteger(port) && port > 0) return { address: address.slice(0, colon), port };
  }
  return { address };
}
