// Runs the test suite again on the OpenTelemetry JS 3.x line, on Node 24: in a
// copy of the workspace (.otel3/, git-ignored) whose OTel dependencies are
// those of test/otel3/versions.json, installed from test/otel3/pnpm-lock.yaml.
//
//   node scripts/otel3.mjs                    build, type check, every jest suite (Node 24), the
//                                             adapter and reliability suites on our provider, then
//                                             the pack-and-import test on Node 26
//   node scripts/otel3.mjs --update-lockfile  resolve the copy anew and save its lockfile
//   node scripts/otel3.mjs -- <command...>    run a command in the copy (Node 24 first on PATH)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_VERSIONS, nodeBinary } from './node-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tree = join(root, '.otel3');
const lockfile = join(root, 'test', 'otel3', 'pnpm-lock.yaml');
const versions = JSON.parse(readFileSync(join(root, 'test', 'otel3', 'versions.json'), 'utf8'));
const PNPM = ['-y', 'pnpm@10.34.9'];

const args = process.argv.slice(2);
const update = args.includes('--update-lockfile');
const command = args.includes('--') ? args.slice(args.indexOf('--') + 1) : undefined;

/** The workspace as git sees it (tracked and new files, not ignored), without the 2.x lockfile. */
function copyWorkspace() {
  rmSync(tree, { recursive: true, force: true });
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString()
    .split('\0')
    .filter((file) => file && file !== 'pnpm-lock.yaml' && existsSync(join(root, file)));
  for (const file of files) {
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    copyFileSync(join(root, file), join(tree, file));
  }
  for (const file of files.filter((file) => file.endsWith('package.json'))) retarget(join(tree, file));
  if (existsSync(lockfile) && !update) copyFileSync(lockfile, join(tree, 'pnpm-lock.yaml'));
}

/** Gives each OTel dependency of a manifest its 3.x version; peer ranges already span both lines. */
function retarget(file) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  for (const field of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (name in versions && name !== '//') manifest[field][name] = versions[name];
    }
  }
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

function run(bin, argv, node, hint) {
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
  console.log(`+ (OTel 3.x, Node ${execFileSync(node, ['--version']).toString().trim()}) ${[bin, ...argv].join(' ')}`);
  const result = spawnSync(bin, argv, { cwd: tree, env, stdio: 'inherit' });
  if (result.status !== 0) {
    if (hint) console.error(hint);
    process.exit(result.status ?? 1);
  }
}

const node24 = nodeBinary(24);
copyWorkspace();
run(
  'npx',
  [...PNPM, 'install', update ? '--no-frozen-lockfile' : '--frozen-lockfile'],
  node24,
  'otel3: if a package.json changed, refresh the 3.x lockfile: node scripts/otel3.mjs --update-lockfile',
);
if (update) {
  copyFileSync(join(tree, 'pnpm-lock.yaml'), lockfile);
  console.log('saved test/otel3/pnpm-lock.yaml');
} else if (command) {
  run(command[0], command.slice(1), node24);
} else {
  console.log(
    `\n== the whole suite on OpenTelemetry JS 3.x (API ${versions['@opentelemetry/api']}), Node ${NODE_VERSIONS[24]} ==`,
  );
  run('npx', [...PNPM, 'build'], node24);
  run('npx', [...PNPM, 'typecheck'], node24);
  run('npx', [...PNPM, 'test:unit'], node24);
  run('npx', [...PNPM, 'test:sdk'], node24);
  console.log(`\n== pack and import on OpenTelemetry JS 3.x, Node ${NODE_VERSIONS[26]} (smoke) ==`);
  run('npx', [...PNPM, 'test:unit', 'test/pack.test.ts'], nodeBinary(26));
}
