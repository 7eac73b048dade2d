import { ROOT_CONTEXT } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import { AlwaysOnSampler, type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';

let keepsAnyValue: boolean | undefined;

/**
 * Whether the installed `@opentelemetry/sdk-trace` keeps any OTLP value as a
 * span attribute (the 3.x line) rather than only the 2.x types. Asked of the
 * SDK itself, once per process: a span of its own, not exported, given a null
 * attribute, which 3.x keeps and 2.x ignores, silently on both.
 *
 * Not its version: 3.x does not export its package.json (ERR_PACKAGE_PATH_NOT_EXPORTED),
 * and in a bundle the SDK is inlined with no package.json to read; the API has
 * no public VERSION, and its line is a separate peer from the SDK's. The SDK
 * we import is the one whose rules we follow, in CommonJS, ES modules and bundles alike.
 */
export function sdkKeepsAnyValue(): boolean {
  if (keepsAnyValue === undefined) {
    const sdk = new TracerProvider({ resource: emptyResource(), sampler: new AlwaysOnSampler() });
    const span = sdk.getTracer('@tracewire/node').startSpan('sdk-line', {}, ROOT_CONTEXT);
    span.setAttribute('value', null as never);
    keepsAnyValue = Object.hasOwn((span as unknown as ReadableSpan).attributes, 'value');
    span.end();
  }
  return keepsAnyValue;
}
