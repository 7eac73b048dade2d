import type { IncomingMessage } from 'node:http';
import { serverRequestOf } from '@tracewire/core';

// Express restores `req.baseUrl` when a request (or an error) leaves a nested
// router, so `baseUrl + route.path` read when the span ends can miss the mount
// prefix. Both Express 4's router and Express 5's `router` package assign
// `req.route = route` while `baseUrl` is still the matched router's: an
// accessor catches that moment and keeps the prefix with the route.

interface RouteLike {
  path?: unknown;
}

// Where the route lives on a request that is not traced (no span records).
const kRoute = Symbol('tracewire.express.route');
const kInstalled = Symbol('tracewire.express.routeAccessor');

type ExpressRequest = IncomingMessage & { baseUrl?: string; route?: RouteLike; [kRoute]?: RouteLike };

/** `baseUrl` + the route's path; arrays and regular expressions appear in their string form. */
function template(baseUrl: string | undefined, route: RouteLike | undefined): string | undefined {
  const path = route?.path;
  return path === undefined || path === null ? undefined : (baseUrl ?? '') + String(path);
}

// Kept in the traced request's state, not in new properties of `req`.
const routeProperty: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: ExpressRequest): RouteLike | undefined {
    const request = serverRequestOf(this);
    return request === undefined ? this[kRoute] : (request.data as RouteLike | undefined);
  },
  set(this: ExpressRequest, route: RouteLike | undefined) {
    const request = serverRequestOf(this);
    if (request === undefined) {
      this[kRoute] = route;
      return;
    }
    request.data = route;
    request.route = template(this.baseUrl, route);
  },
};

/**
 * Makes `req.route` of every request of the app an accessor that remembers
 * the mount prefix at assignment; the app still reads and writes it as before.
 */
export function installRouteAccessor(proto: object): void {
  if (Object.hasOwn(proto, kInstalled)) return;
  const current = Object.getOwnPropertyDescriptor(proto, 'route');
  if (current !== undefined && !current.configurable) return;
  Object.defineProperty(proto, 'route', routeProperty);
  Object.defineProperty(proto, kInstalled, { value: true });
}

/**
 * Fallback for a request whose route was not captured (the accessor could
 * not be installed): `baseUrl + route.path` as they are when the span ends.
 */
export function routeOf(req: IncomingMessage): string | undefined {
  const request = req as ExpressRequest;
  return template(request.baseUrl, request.route);
}
