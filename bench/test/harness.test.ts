// A smoke run of the benchmark harness (1 s per variant) so that it cannot
// rot; the numbers themselves are not asserted.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');

describe('benchmark harness smoke run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracewire-bench-'));
  const out = join(dir, 'benchmarks.md');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every variant of every app serves without errors and lands in the report', async () => {
    await run(
      process.execPath,
      ['bench/run.mjs', '--duration', '1', '--rounds', '1', '--warmup', '0', '--connections', '4', '--out', out],
      { cwd: root, timeout: 170_000 },
    );
    const report = readFileSync(out, 'utf8');
    const tables = report.split('#### ').slice(1);
    expect(tables.map((t) => t.split('\n')[0])).toEqual([
      'Express 5, `GET /users/42`',
      'Express 5, `GET /users/42/messages` (one downstream fetch per request)',
      'Koa 3, `GET /users/42`',
      'Koa 3, `GET /users/42/messages` (one downstream fetch per request)',
    ]);
    for (const section of tables) {
      const rows = section.split('\n').filter((line) => /^\| [\dR] /.test(line));
      expect(rows.map((row) => row.split('|')[1]?.trim().slice(0, 1))).toEqual(['1', '2', '3', '4', '5', 'R', 'R']);
      for (const row of rows) {
        const cells = row.split('|').map((cell) => cell.trim());
        expect(Number(cells[2]?.replace(/,/g, ''))).toBeGreaterThan(0); // req/s
        expect(cells[7]).toBe('0'); // errors
      }
      expect(section).toMatch(
        /Variant 3 \/ variant 5 throughput: [\d.]+\. Variant 3 \/ reference throughput: [\d.]+\./,
      );
    }
  }, 180_000);

  // In the 2.x workspace only: the copy that --otel3 runs from is the one the
  // 3.x suite itself runs in.
  const inOtel3Copy = root.split(/[\\/]/).includes('.otel3');
  (inOtel3Copy ? test.skip : test)(
    '--otel3 runs every SDK variant again on OTel 3.x, on Node 24',
    async () => {
      await run(
        process.execPath,
        [
          'bench/run.mjs',
          ...['--node', '24', '--otel3', '--frameworks', 'express', '--scenarios', 'users'],
          ...['--duration', '1', '--rounds', '1', '--warmup', '0', '--connections', '4', '--out', out],
        ],
        { cwd: root, timeout: 290_000 },
      );
      const section = readFileSync(out, 'utf8').split('<!-- bench:node24 -->')[1]!;
      const rows = section.split('\n').filter((line) => /^\| [\dR] /.test(line));
      expect(rows.filter((row) => row.includes('OTel 3.x'))).toHaveLength(5);
      for (const row of rows) expect(row.split('|').map((cell) => cell.trim())[7]).toBe('0'); // errors
      expect(section).toMatch(/Variant 3 \/ variant 3 on OTel 3.x throughput: [\d.]+\./);
    },
    300_000,
  );

  test('the sustained-rate check counts every exported span, on the SDK and on our provider', async () => {
    const { stdout } = await run(
      process.execPath,
      ['bench/sustained.mjs', '--rate', '200', '--duration', '1', '--framework', 'express'],
      { cwd: root, timeout: 60_000 },
    );
    const rows = stdout.split('\n').filter((line) => line.startsWith('| express'));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cells = row.split('|').map((cell) => cell.trim());
      expect(Number(cells[6])).toBeGreaterThan(0); // requests handled
      expect(cells[7]).toBe(cells[6]); // spans received = requests handled
      expect(cells[8]).toBe('0'); // dropped
      expect(Number(cells[9])).toBeGreaterThan(10); // peak RSS, MB
    }
  }, 70_000);

  test('the cold-cache span benchmark runs', async () => {
    const { stdout } = await run(process.execPath, ['bench/cold.mjs', '--spans', '100', '--sweep-mb', '1'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/\| after a 1 MB memory sweep \| [\d,]+ \|/);
  }, 70_000);

  test('the core micro-benchmark runs', async () => {
    const { stdout } = await run(process.execPath, ['bench/micro.mjs', '--time', '20'], { cwd: root, timeout: 60_000 });
    expect(stdout).toMatch(/\| SDK, incoming traceparent \| [\d,]+ \|/);
  }, 70_000);
});
