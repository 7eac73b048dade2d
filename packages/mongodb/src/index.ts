export { MAX_QUERY_TEXT } from './command.js';
export type {
  MongoClientLike,
  MongoCommandEndEvent,
  MongoCommandInfo,
  MongoSpanNameInfo,
  MongoTracing,
  MongoTracingOptions,
} from './options.js';
export { MAX_IN_FLIGHT, traceMongoClient } from './trace-client.js';
export { VERSION } from './version.js';
