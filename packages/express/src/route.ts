import type { IncomingMessage } from 'node:http';

// Express restores `req.baseUrl` when a request (or an error) leaves a nested
// router, so `baseUrl + route.path` read when the span ends can miss the mount
// prefix. Both Express 4's router and Express 5's `router` package assign
// `req.route = route` while `baseUrl` is still the matched router's: an own
// accessor catches that moment and keeps the prefix with the route.

const kRoute = Symbol('tracewire.express.route');
const kBaseUrl = Symbol('tracewire.express.baseUrl');

interface RouteLike {
  path?: unknown;
}

type ExpressRequest = IncomingMessage & {
  baseUrl?: string;
  route?: RouteLike;
  [kRoute]?: RouteLike;
  [kBaseUrl]?: string;
};

// One descriptor for every request: no closure is made per request.
const routeProperty: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: ExpressRequest): RouteLike | undefined {
    return this[kRoute];
  },
  set(this: ExpressRequest, route: RouteLike | undefined) {
    this[kRoute] = route;
    this[kBaseUrl] = this.baseUrl;
  },
};

/** Makes `req.route` an accessor that remembers the mount prefix at assignment; the app still reads and writes it as before. */
export function captureRoute(req: IncomingMessage): void {
  const current = Object.getOwnPropertyDescriptor(req, 'route');
  if (current !== undefined && !current.configurable) return;
  Object.defineProperty(req, 'route', routeProperty);
  if (current !== undefined) (req as ExpressRequest).route = current.get ? current.get.call(req) : current.value;
}

/** The matched route template with every mount prefix, or undefined when no route matched. */
export function routeOf(req: IncomingMessage): string | undefined {
  const request = req as ExpressRequest;
  // Fallback for a request whose `route` could not be captured.
  const captured = Object.hasOwn(request, kBaseUrl);
  const route = captured ? request[kRoute] : request.route;
  const path = route?.path;
  if (path === undefined || path === null) return undefined;
  const baseUrl = captured ? request[kBaseUrl] : request.baseUrl;
  // Arrays and regular expressions (`app.get(['/a', '/b'])`, `app.get(/x/)`) appear in their string form.
  return (baseUrl ?? '') + String(path);
}
