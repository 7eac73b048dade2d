import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEventsOnPrototype } from '@tracewire/core';
import { installRouteAccessor } from './route.js';

const kExtended = Symbol('tracewire.express.extended');

type Proto = Record<PropertyKey, unknown>;

/**
 * Express gives every req and res of an app the app's own prototypes,
 * `app.request` and `app.response`, which it lets apps extend (mounted
 * sub-apps inherit from them). What tracing needs on each request (the route
 * accessor, the context-aware emit) is put there once per app, rather than
 * added to every request: adding properties to an object whose prototype was
 * swapped gives it a new hidden class and slows Express's own reads.
 */
export function extendAppPrototypes(req: IncomingMessage, res: ServerResponse): void {
  const request = Object.getPrototypeOf(req) as Proto | null;
  if (request === null || request[kExtended] === true) return;
  const response = Object.getPrototypeOf(res) as Proto | null;
  // Only Express's per-app prototypes (they have an own `app`); never Node's own.
  if (!Object.hasOwn(request, 'app') || response === null || !Object.hasOwn(response, 'app')) return;
  try {
    installRouteAccessor(request);
    bindEventsOnPrototype(request);
    bindEventsOnPrototype(response);
    Object.defineProperty(request, kExtended, { value: true });
  } catch {
    // A frozen prototype: requests are still traced; the names fall back to routeOf().
  }
}
