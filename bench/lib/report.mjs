// Turns rounds of results into the markdown table of docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One table row per variant: medians over rounds; the ratio is taken per round against that round's bare run. */
export function table(results, variants, labels) {
  const lines = [
    '| variant | req/s | × bare | p50 ms | p99 ms | server CPU µs/req | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const variant of variants) {
    const runs = results.filter((r) => r.variant === variant);
    if (runs.length === 0) continue;
    const ratios = runs.map((run) => run.rps / results.find((r) => r.round === run.round && r.variant === 'bare').rps);
    lines.push(
      `| ${labels[variant]} | ${fmt(median(runs.map((r) => r.rps)))} | ${fmt(median(ratios), 2)} | ${fmt(median(runs.map((r) => r.p50)), 1)} | ${fmt(median(runs.map((r) => r.p99)), 1)} | ${fmt(median(runs.map((r) => r.cpuPerRequest)), 1)} | ${runs.reduce((n, r) => n + r.errors, 0)} |`,
    );
  }
  return lines.join('\n');
}

/** Replaces the block between `<!-- bench:KEY -->` and `<!-- /bench:KEY -->` in `file`, or appends it. */
export function writeBlock(file, key, markdown) {
  const start = `<!-- bench:${key} -->`;
  const end = `<!-- /bench:${key} -->`;
  const block = `${start}\n${markdown}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next =
    from !== -1 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
