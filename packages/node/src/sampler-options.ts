import type { Sampler } from '@opentelemetry/sdk-trace';
import { type Env, fail, nonEmpty, oneOf } from './env.js';

/** The samplers `OTEL_TRACES_SAMPLER` may name. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export type SamplerChoice = { kind: 'custom'; sampler: Sampler } | { kind: SamplerName; ratio: number };

export function resolveSampler(sampler: Sampler | number | undefined, env: Env): SamplerChoice {
  if (typeof sampler === 'number') {
    if (!(sampler >= 0 && sampler <= 1)) fail(`option "sampler" is ${sampler}; a ratio must be between 0 and 1`);
    return { kind: 'parentbased_traceidratio', ratio: sampler };
  }
  if (sampler !== undefined) {
    if (typeof sampler?.shouldSample !== 'function') fail('option "sampler" must be a Sampler or a number');
    return { kind: 'custom', sampler };
  }
  const name = oneOf(
    (nonEmpty(env.OTEL_TRACES_SAMPLER) ?? 'parentbased_always_on').toLowerCase(),
    SAMPLER_NAMES,
    'OTEL_TRACES_SAMPLER',
  );
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  let ratio = 1;
  if (arg !== undefined && name.endsWith('traceidratio')) {
    ratio = Number(arg);
    if (!(ratio >= 0 && ratio <= 1)) fail(`OTEL_TRACES_SAMPLER_ARG is "${arg}"; a ratio must be between 0 and 1`);
  }
  return { kind: name, ratio };
}
