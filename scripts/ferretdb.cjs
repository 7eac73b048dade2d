// Finds and runs the FerretDB binary that scripts/ferretdb.sh builds: a real
// MongoDB-wire server on 127.0.0.1, any free port, backed by SQLite files in
// a temporary directory that is removed when it stops. Used by the MongoDB
// tests, the e2e tests and `pnpm demo`.
// CommonJS, so that the tests can locate the binary synchronously (to skip a
// suite) and the ES module demo can import it all the same.
const { execFileSync } = require('node:child_process');
const { accessSync, constants, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { spawnTied } = require('./tied-spawn.cjs');

const script = join(__dirname, 'ferretdb.sh');
const HOST = '127.0.0.1';

/**
 * FERRETDB_BIN if set (it must then exist: whoever set it, CI, expects the
 * tests to run, so a missing binary is an error, not a skip), else the path
 * scripts/ferretdb.sh builds to, asked from the script itself.
 */
function locateFerretDB() {
  const fromEnv = process.env.FERRETDB_BIN;
  const bin = fromEnv || execFileSync('bash', [script, '--path'], { encoding: 'utf8' }).trim();
  try {
    accessSync(bin, constants.X_OK);
    return { found: true, bin };
  } catch {
    if (fromEnv) throw new Error(`FERRETDB_BIN=${fromEnv} is not an executable file`);
    return { found: false, bin, reason: `ferretdb binary not found at ${bin}; run scripts/ferretdb.sh` };
  }
}

/** Builds FerretDB with scripts/ferretdb.sh (minutes the first time); resolves with its path. */
function buildFerretDB() {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim().split('\n').pop()) : reject(new Error(`scripts/ferretdb.sh failed:\n${err}`)),
    );
  });
}

/**
 * Starts FerretDB; resolves once it listens, with its `mongodb://` URL.
 * No telemetry, no debug listener, state and data in a fresh temporary directory.
 */
async function startFerretDB(bin, { timeoutMs = 20_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tracewire-ferretdb-'));
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/`,
    `--state-dir=${dir}`,
    `--listen-addr=${HOST}:0`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=info',
    '--log-format=json',
  ];
  const child = spawnTied(bin, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  let exitCode = null;
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise((done) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
      done();
    }),
  );
  const log = (lines = 20) => output.slice(-lines).join('\n');
  const stop = async (graceMs = 5000) => {
    if (exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  };
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`FerretDB did not listen within ${timeoutMs} ms:\n${log()}`)),
      timeoutMs,
    );
    const keep = (chunk) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        if (output.length > 200) output.shift();
        const match = /Listening on TCP 127\.0\.0\.1:(\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`FerretDB exited (${exitCode}) while starting:\n${log()}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { url: `mongodb://${HOST}:${port}/`, host: HOST, port, pid: child.pid, log, stop };
}

exports.locateFerretDB = locateFerretDB;
exports.buildFerretDB = buildFerretDB;
exports.startFerretDB = startFerretDB;
