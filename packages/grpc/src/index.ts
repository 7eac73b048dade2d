export { clientInterceptor } from './client.js';
export type { GrpcCallInfo, GrpcSpanNameInfo, GrpcStatusInfo, GrpcTracingOptions } from './options.js';
export { serverInterceptor } from './server.js';
export { grpcFailed, statusName } from './status.js';
export { VERSION } from './version.js';
