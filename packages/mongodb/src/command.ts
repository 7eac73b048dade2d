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

/** The longest `db.query.text`, in characters; a longer one is cut there and ends with `…`. */
export const MAX_QUERY_TEXT = 2048;

/** JSON text built up to a length budget: once full, the rest of the command is not even looked at. */
class Budget {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.length > this.max;
  }
  push(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }
  text(): string {
    const text = this.parts.join('');
    if (text.length <= this.max) return text;
    let cut = this.max - 1;
    // Never half a surrogate pair.
    const last = text.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--;
    return `${text.slice(0, cut)}…`;
  }
}

function isPlainObject(value: object): boolean {
  // A BSON value (ObjectId, Long, Decimal128, Binary, Timestamp), a Date, a RegExp, bytes: one value.
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !('_bsontype' in value);
}

/** `value` with every leaf a `?`, keys kept, into `out`. */
function shape(value: unknown, depth: number, out: Budget): void {
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) {
    out.push('"?"');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length && !out.full; i++) {
      if (i > 0) out.push(',');
      shape(value[i], depth + 1, out);
    }
    out.push(']');
    return;
  }
  if (!isPlainObject(value)) {
    out.push('"?"');
    return;
  }
  out.push('{');
  let first = true;
  for (const key in value) {
    if (out.full) break;
    if (!Object.hasOwn(value, key)) continue;
    out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    shape((value as Record<string, unknown>)[key], depth + 1, out);
  }
  out.push('}');
}

/**
 * `db.query.text`: the command as JSON with every value replaced by `?`,
 * keys kept, the collection name kept, the driver's envelope left out, at
 * most `max` characters: `{"find":"messages","filter":{"userId":"?"},"limit":"?"}`.
 */
export function sanitizedQuery(
  operation: string,
  collection: string | undefined,
  command: Record<string, unknown>,
  max = MAX_QUERY_TEXT,
): string {
  const named = operation === 'getMore' ? 'collection' : operation;
  const out = new Budget(max);
  out.push('{');
  let first = true;
  for (const key of Object.keys(command)) {
    if (out.full) break;
    if (ENVELOPE.has(key)) continue;
    out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    if (key === named && collection !== undefined) out.push(JSON.stringify(collection));
    else shape(command[key], 1, out);
  }
  out.push('}');
  return out.text();
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
