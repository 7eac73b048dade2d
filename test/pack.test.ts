// Every package, packed as it would be published, installs with plain npm in
// an empty directory and loads through both `import` and `require`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const packages = readdirSync(join(root, 'packages')).map((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return { dir: join(root, 'packages', dir), name: manifest.name as string, peers: manifest.peerDependencies ?? {} };
});

describe('packed tarballs', () => {
  let work: string;
  const run = (command: string, args: string[], cwd = work) =>
    execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tracewire-pack-'));
    const tarballs = packages.map(({ dir }) => {
      const out = run('pnpm', ['pack', '--pack-destination', work], dir).trim().split('\n');
      return out[out.length - 1]!;
    });
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'pack-check', private: true }));
    // Peers a user would install themselves: the OTel API and the frameworks.
    const peers = new Set<string>();
    for (const pkg of packages) {
      for (const [name, range] of Object.entries(pkg.peers)) {
        // The OTel API 1.9 line is the one the SDK 2.x line (Node 20) accepts.
        peers.add(
          name === '@opentelemetry/api' ? `${name}@~1.9.0` : `${name}@${String(range).split('||').pop()!.trim()}`,
        );
      }
    }
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs, ...peers]);
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.each(packages.map((pkg) => [pkg.name]))('%s loads through require and import with the same exports', (name) => {
    const cjs = run(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require('${name}')).sort()))`]);
    const esm = run(process.execPath, [
      '--input-type=module',
      '-e',
      `import * as m from '${name}'; console.log(JSON.stringify(Object.keys(m).sort()))`,
    ]);
    const cjsKeys = JSON.parse(cjs) as string[];
    expect(cjsKeys.length).toBeGreaterThan(0);
    expect(JSON.parse(esm)).toEqual(cjsKeys);
  });

  test.each(packages.map((pkg) => [pkg.name]))('%s ships type declarations for both builds', (name) => {
    const manifest = JSON.parse(readFileSync(join(work, 'node_modules', name, 'package.json'), 'utf8'));
    for (const condition of ['import', 'require']) {
      const types = manifest.exports['.'][condition].types as string;
      expect(readFileSync(join(work, 'node_modules', name, types), 'utf8')).toContain('export');
    }
  });
});
