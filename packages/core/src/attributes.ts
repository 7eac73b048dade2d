// Stable OpenTelemetry semantic-convention names used by tracewire's spans,
// spelled here so that this module has no import to load; a test checks each
// against @opentelemetry/semantic-conventions, where the metric names come from.
export const ATTR_COMPONENT = 'component';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
export const ATTR_ERROR_TYPE = 'error.type';

export const COMPONENT_HTTP = 'HTTP';

/** `http.request.header.<name>` / `http.response.header.<name>`, as the HTTP conventions name them. */
export function headerAttribute(direction: 'request' | 'response', name: string): string {
  return `http.${direction}.header.${name}`;
}
