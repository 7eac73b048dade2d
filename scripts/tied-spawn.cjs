// Spawns a server process that cannot outlive its parent: under
// `setpriv --pdeathsig KILL` the kernel kills it when the parent dies, even by
// SIGKILL, where no exit handler runs. Without setpriv (not Linux), a plain
// spawn. Used for Jaeger, FerretDB and the example services in tests and the demo.
const { spawn } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const { delimiter, join } = require('node:path');

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

const setpriv = onPath('setpriv');

function spawnTied(command, args, options) {
  return setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : spawn(command, args, options);
}

module.exports = { onPath, spawnTied };
