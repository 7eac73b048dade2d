import type { Metadata } from '@grpc/grpc-js';
import type { TracingOptions } from '@tracewire/core';

/** What `spanName` is given to name a gRPC span. */
export interface GrpcSpanNameInfo {
  kind: 'server' | 'client';
  /** The full method, `/package.Service/Method`: the default name. */
  path: string;
  /** `package.Service` (empty when the path has no service part). */
  service: string;
  /** `Method`. */
  method: string;
}

/** What `ignore` and `requestHook` are given: the call. Treat it as read-only. */
export interface GrpcCallInfo extends GrpcSpanNameInfo {
  /** The request metadata: the caller's own (client), or the received one (server). */
  metadata: Metadata;
}

/** What `responseHook` is given: the status the call ended with. */
export interface GrpcStatusInfo {
  code: number;
  details: string;
  /** The trailers, when there are any. */
  metadata: Metadata | undefined;
}

/**
 * The core options of every tracewire adapter, for gRPC: `captureHeaders`
 * names metadata keys, `spanName` gets a `GrpcSpanNameInfo`.
 */
export interface GrpcTracingOptions extends Omit<TracingOptions<GrpcCallInfo, GrpcStatusInfo>, 'spanName'> {
  spanName?: (info: GrpcSpanNameInfo) => string;
}

/** `/package.Service/Method` split in two; a path of any other shape is all method. */
export function methodParts(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf('/');
  if (path.startsWith('/') && slash > 1 && slash < path.length - 1) {
    return { service: path.slice(1, slash), method: path.slice(slash + 1) };
  }
  return { service: '', method: path };
}
