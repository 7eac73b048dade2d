export type Located = { found: true; bin: string } | { found: false; bin: string; reason: string };

export interface FerretDB {
  /** `mongodb://127.0.0.1:<port>/` */
  url: string;
  host: string;
  port: number;
  pid: number | undefined;
  /** The last lines FerretDB printed, for failure messages. */
  log(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone and its data removed. */
  stop(graceMs?: number): Promise<void>;
}

export function locateFerretDB(): Located;
export function buildFerretDB(): Promise<string>;
export function startFerretDB(bin: string, options?: { timeoutMs?: number }): Promise<FerretDB>;
