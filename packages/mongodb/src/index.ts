export type {
  MongoClientLike,
  MongoCommandInfo,
  MongoCommandOutcome,
  MongoSpanNameInfo,
  MongoTracingOptions,
} from './options.js';
export { MAX_IN_FLIGHT, traceMongoClient } from './trace-client.js';
export { VERSION } from './version.js';
