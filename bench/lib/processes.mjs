// Child processes of the bench: servers (IPC-driven), autocannon, and the
// Node binary each server runs on.
import { fork, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const autocannon = join(benchDir, '..', 'node_modules', 'autocannon', 'autocannon.js');

export { nodeBinary } from '../../scripts/node-binary.mjs';

/** Forks a bench script on `node` and waits for its 'ready' message. */
export function startChild(script, env, node = process.execPath) {
  const child = fork(resolve(benchDir, script), [], {
    execPath: node,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({ child, port: message.port });
    });
  });
}

/** Sends a message and waits for the reply of type `reply`. */
export function ask(child, message, reply) {
  return new Promise((resolve) => {
    const onMessage = (answer) => {
      if (answer.type !== reply) return;
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

export async function stopChild(handle) {
  if (!handle || handle.child.exitCode !== null) return;
  const exited = new Promise((resolve) => handle.child.once('exit', resolve));
  handle.child.disconnect();
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Runs autocannon in its own process and returns its JSON result. */
export function load(url, { connections, duration, rate }) {
  const args = [autocannon, '-j', '-c', String(connections), '-d', String(duration)];
  if (rate) args.push('-R', String(rate));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`)),
    );
  });
}
