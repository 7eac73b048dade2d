/** An address and port as grpc-js writes them: `host:port`, `[v6]:port`, a socket path, maybe a `dns:`/`ipv4:` scheme. */
export function parsePeer(peer: unknown): { address: string; port?: number } | undefined {
  if (typeof peer !== 'string' || peer === '' || peer === 'unknown') return undefined;
  let rest = peer.replace(/^(?:dns|ipv4|ipv6):(?:\/\/[^/]*\/)?/, '');
  if (rest.startsWith('unix:')) rest = rest.slice('unix:'.length);
  if (rest.startsWith('/')) return { address: rest };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) return withPort(v6[1] as string, v6[2]);
  const hostPort = /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (hostPort) return withPort(hostPort[1] as string, hostPort[2]);
  return undefined;
}

function withPort(address: string, port: string | undefined): { address: string; port?: number } {
  const number = port === undefined ? Number.NaN : Number(port);
  return Number.isInteger(number) && number > 0 && number < 65536 ? { address, port: number } : { address };
}
