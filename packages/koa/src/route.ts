// What @koa/router (15.x) leaves on the context; read structurally so that
// the router stays optional and any version or other router is tolerated.
interface RouterLayer {
  path?: unknown;
  methods?: unknown;
}

interface RoutedContext {
  method?: unknown;
  /** Path of the router layer that ran last: the full template, router prefixes and mount paths included. */
  _matchedRoute?: unknown;
  /** Every layer whose path matched, route (has methods) or `router.use()` middleware (no methods). */
  matched?: unknown;
  /** Set by other routers, or by the app itself. */
  routePath?: unknown;
}

function isRoute(layer: RouterLayer | undefined): layer is RouterLayer & { methods: string[] } {
  return Array.isArray(layer?.methods) && layer.methods.length > 0;
}

/**
 * The route template of the request, read when the span ends.
 *
 * `_matchedRoute` alone is not enough: @koa/router overwrites it with the
 * path of every layer it runs, so when a `router.use()` middleware answers
 * before the route runs (an auth check throwing 401), it holds that
 * middleware's pattern (`/api(?:\/|$)`), not a route. It is taken when it
 * names a matched route layer; otherwise the last matched route layer for
 * the request's method, which is the one the router itself picks.
 */
export function routeOf(ctx: object): string | undefined {
  const routed = ctx as RoutedContext;
  const current = routed._matchedRoute;
  const layers = routed.matched;
  if (Array.isArray(layers)) {
    let last: unknown;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i] as RouterLayer | undefined;
      if (!isRoute(layer)) continue;
      if (layer.path === current) return typeof current === 'string' ? current : undefined;
      if (last === undefined && layer.methods.includes(routed.method as string)) last = layer.path;
    }
    if (typeof last === 'string') return last;
  } else if (typeof current === 'string') {
    return current;
  }
  return typeof routed.routePath === 'string' ? routed.routePath : undefined;
}
