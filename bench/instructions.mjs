// Instructions per request, counted by valgrind's callgrind: the same figure
// run after run, whatever else this shared 2-core machine is doing, where
// throughput moves by ±20 %. Each variant's server (bench/server.cjs) runs
// under callgrind on Node 24 with V8 in one thread (--single-threaded, so the
// JIT and GC work is counted too); after a warm-up, only the measured requests
// are counted.
//
//   node bench/instructions.mjs [--frameworks express,koa] [--variants bare,minimal-lean,lean]
//                               [--warmup 1500] [--requests 4000]
//
// "compiler" is V8 compiling (TurboFan, Maglev): it fades as a server warms up.
// GC comes in bursts (a mark-compact may or may not fall in the window), so the
// ratio is taken on what is left without either, and GC is shown beside it.
// Needs valgrind on PATH.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { nodeBinary } from '../scripts/node-binary.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const LABELS = {
  bare: '1 bare',
  tracewire: '2 tracewire, no SDK',
  sdk: '3 tracewire + SDK',
  lean: '3t tracewire + our provider',
  minimal: 'R minimal middleware + SDK',
  'minimal-lean': 'Rt minimal middleware + our provider',
  auto: '5 OTel auto-instrumentation + SDK',
};
const { values } = parseArgs({
  options: {
    frameworks: { type: 'string', default: 'express,koa' },
    variants: { type: 'string', default: 'bare,tracewire,minimal,sdk,minimal-lean,lean' },
    warmup: { type: 'string', default: '1500' },
    requests: { type: 'string', default: '4000' },
  },
});
const variants = values.variants.split(',');
for (const v of variants) if (!(v in LABELS)) throw new Error(`--variants: unknown or unsupported variant ${v}`);
const node = nodeBinary(24);
const dir = mkdtempSync(join(tmpdir(), 'tracewire-callgrind-'));

/** Callgrind's own cost lines, grouped: V8's compilers, its GC, everything else. */
function costs(file) {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { maxBuffer: 1 << 28 }).toString();
  const out = { total: 0, compiler: 0, gc: 0 };
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$/.exec(line);
    if (!match) continue;
    const count = Number(match[1].replaceAll(',', ''));
    if (match[2].includes('PROGRAM TOTALS')) out.total = count;
    else if (/compiler::|maglev::|turboshaft/.test(match[2])) out.compiler += count;
    else if (/Scaveng|heap::|Heap::|MarkCompact|Sweeper|IteratePointers|Marking|Evacuat|RememberedSet/.test(match[2])) {
      out.gc += count;
    }
  }
  return out;
}

function measure(framework, variant) {
  const file = join(dir, `callgrind.${framework}.${variant}`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${file}`,
      node,
      '--single-threaded',
      join(here, 'server.cjs'),
    ],
    {
      env: { ...process.env, BENCH_FRAMEWORK: framework, BENCH_VARIANT: variant },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', async ({ port }) => {
      try {
        const url = `http://127.0.0.1:${port}/users/42`;
        await autocannon({ url, connections: 4, amount: Number(values.warmup) });
        execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
        const result = await autocannon({ url, connections: 4, amount: Number(values.requests) });
        execFileSync('callgrind_control', ['-i', 'off', String(child.pid)], { stdio: 'ignore' });
        if (result['2xx'] !== Number(values.requests))
          throw new Error(`${variant}: ${result['2xx']} of the requests answered 2xx`);
        child.once('exit', () => resolve(costs(file)));
        child.disconnect();
      } catch (error) {
        child.kill('SIGKILL');
        reject(error);
      }
    });
  });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
for (const framework of values.frameworks.split(',')) {
  console.log(
    `\n${framework}, GET /users/42, instructions per request (${values.requests} requests after ${values.warmup})\n`,
  );
  console.log('| variant | total | compiler | GC | the rest | × bare (the rest) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  let bare;
  for (const variant of variants) {
    const { total, compiler, gc } = await measure(framework, variant);
    const n = Number(values.requests);
    const rest = (total - compiler - gc) / n;
    if (variant === 'bare') bare = rest;
    const ratio = bare === undefined ? '' : (bare / rest).toFixed(2);
    console.log(
      `| ${LABELS[variant]} | ${fmt(total / n)} | ${fmt(compiler / n)} | ${fmt(gc / n)} | ${fmt(rest)} | ${ratio} |`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });
