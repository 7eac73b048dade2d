import type { Attributes } from '@opentelemetry/api';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { type Env, fail, nonEmpty } from './env.js';

/**
 * Later merges win: SDK defaults (`service.name` = `unknown_service:<process.argv0>`,
 * `telemetry.sdk.*` of the SDK line the app installed), `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_SERVICE_NAME`, option `resource`, option `serviceName`.
 */
export function resolveResource(
  serviceName: string | undefined,
  resource: Resource | Attributes | undefined,
  env: Env,
): Resource {
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === '')) {
    fail('option "serviceName" must be a non-empty string');
  }
  const layers: (Resource | Attributes | undefined)[] = [
    parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
    { 'service.name': nonEmpty(env.OTEL_SERVICE_NAME) },
    resource,
    { 'service.name': serviceName },
  ];
  let merged = defaultResource();
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (isResource(layer)) {
      merged = merged.merge(layer);
    } else if (typeof layer === 'object' && layer !== null) {
      const defined = Object.entries(layer).filter(([, value]) => value !== undefined);
      if (defined.length > 0) merged = merged.merge(resourceFromAttributes(Object.fromEntries(defined)));
    } else {
      fail('option "resource" must be a Resource or an object of attributes');
    }
  }
  return merged;
}

function isResource(value: unknown): value is Resource {
  return typeof (value as Resource | undefined)?.merge === 'function' && 'attributes' in (value as object);
}

/** `key1=value1,key2=value2`, values percent-encoded (OTel resource SDK spec). */
export function parseResourceAttributes(value: string | undefined): Attributes {
  const attributes: Attributes = {};
  for (const pair of (value ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    if (!key) continue;
    try {
      attributes[key] = decodeURIComponent(raw);
    } catch {
      attributes[key] = raw;
    }
  }
  return attributes;
}
