// The RPC semantic-convention names the gRPC spans use; only this package needs them.
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
export const RPC_SYSTEM_GRPC = 'grpc';
export const COMPONENT_GRPC = 'gRPC';

/** `rpc.grpc.request.metadata.<key>` / `rpc.grpc.response.metadata.<key>`, as the gRPC conventions name them. */
export function metadataAttribute(direction: 'request' | 'response', key: string): string {
  return `rpc.grpc.${direction}.metadata.${key}`;
}
