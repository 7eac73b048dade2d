// Starts the example services (examples/*-service) as their own Node
// processes, configured by environment exactly as a user would run them.
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { spawnTied } from '../../scripts/tied-spawn.cjs';

const root = resolve(__dirname, '../..');

export class Service {
  private output: string[] = [];
  private exitCode: number | string | null = null;
  private readonly exited: Promise<void>;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        process.off('exit', this.killOnExit);
        done();
      }),
    );
    process.once('exit', this.killOnExit);
  }

  /**
   * Runs examples/<name>/src/main.js on 127.0.0.1, any free port (gRPC too),
   * with `env` on top of this process's environment minus its OTEL_*
   * variables; resolves with the URL the service says it listens on, and its
   * gRPC address if it has one.
   */
  static async start(
    name: string,
    env: Record<string, string>,
    timeoutMs = 15_000,
  ): Promise<{ service: Service; url: string; grpc: string | undefined }> {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
    const main = join(root, 'examples', name, 'src/main.js');
    const child = spawnTied(process.execPath, [main], {
      cwd: join(root, 'examples', name),
      env: { ...clean, NODE_OPTIONS: '', HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new Service(name, child);
    const listening = await new Promise<{ url: string; grpc: string | undefined }>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`${name} did not say where it listens in ${timeoutMs} ms:\n${service.log()}`)),
        timeoutMs,
      );
      const keep = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          service.output.push(line);
          const match = / listening on (http:\/\/\S+)(?: and gRPC (\S+))?/.exec(line);
          if (match) {
            clearTimeout(timer);
            done({ url: match[1]!, grpc: match[2] });
          }
        }
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('exit', () => {
        clearTimeout(timer);
        fail(new Error(`${name} exited (${service.exitCode}) while starting:\n${service.log()}`));
      });
    }).catch(async (error) => {
      await service.stop();
      throw error;
    });
    return { service, ...listening };
  }

  log(): string {
    return this.output.slice(-30).join('\n');
  }

  /** SIGTERM: the service flushes its spans and exits; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
