import type { ChildProcessWithoutNullStreams, SpawnOptions } from 'node:child_process';

/** The executable `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined;
/** `spawn`, but the child is killed by the kernel when this process dies (setpriv --pdeathsig), where setpriv exists. */
export function spawnTied(command: string, args: string[], options: SpawnOptions): ChildProcessWithoutNullStreams;
