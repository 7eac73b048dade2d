// The READMEs' code as a reader takes it: every ```ts snippet of README.md and
// packages/*/README.md type-checks on its own, strict, with the repo's
// settings; and the Getting started app.mjs runs as written and prints one
// trace of three spans with the console exporter.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '..');
const readmes = [
  'README.md',
  ...readdirSync(join(root, 'packages'))
    .map((dir) => join('packages', dir, 'README.md'))
    .filter((path) => existsSync(join(root, path))),
];

interface Block {
  readme: string;
  /** The block's number among the README's blocks of its language, from 1. */
  number: number;
  /** The README line of the block's first code line, from 1. */
  line: number;
  lang: string;
  code: string;
}

/** Every fenced block of a README, with where it stands. */
function blocksOf(readme: string): Block[] {
  const blocks: Block[] = [];
  const counts = new Map<string, number>();
  const lines = readFileSync(join(root, readme), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const lang = open[1]!;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const number = (counts.get(lang) ?? 0) + 1;
    counts.set(lang, number);
    blocks.push({ readme, number, line: start + 1, lang, code: `${lines.slice(start, end).join('\n')}\n` });
    i = end;
  }
  return blocks;
}

/**
 * A folder inside the repo (ignored by git, biome and jest through `.cache/`)
 * where snippets resolve `@tracewire/*`, the frameworks and their types from
 * the root node_modules, as ES modules. The root has Express only as
 * `express4`/`express5` and the MongoDB driver only as `mongodb6`/`mongodb7`,
 * so `express` is linked to Express 5 there and `mongodb` to the 7.x driver.
 */
function workFolder(prefix: string): string {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, '.cache', prefix));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'node_modules', 'express5'), join(dir, 'node_modules', 'express'), 'dir');
  symlinkSync(join(root, 'node_modules', 'mongodb7'), join(dir, 'node_modules', 'mongodb'), 'dir');
  return dir;
}

describe('README snippets', () => {
  const snippets = readmes.flatMap(blocksOf).filter((block) => block.lang === 'ts' || block.lang === 'typescript');
  let dir: string;

  beforeAll(() => {
    dir = workFolder('readme-ts-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('there are snippets in the root README and in every package README', () => {
    const withSnippets = new Set(snippets.map((snippet) => snippet.readme));
    expect(withSnippets).toContain('README.md');
    expect(withSnippets.size).toBeGreaterThanOrEqual(4);
  });

  test('every ```ts snippet type-checks on its own, strict, with the settings of tsconfig.base.json', () => {
    const files = new Map<string, Block>();
    for (const snippet of snippets) {
      const name = `${snippet.readme.replace(/[/.]/g, '-')}-${snippet.number}.ts`;
      writeFileSync(join(dir, name), snippet.code);
      files.set(join(dir, name), snippet);
    }
    const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
    if (base.error) throw new Error(ts.flattenDiagnosticMessageText(base.error.messageText, '\n'));
    const { options, errors } = ts.parseJsonConfigFileContent(base.config, ts.sys, dir);
    expect(errors).toEqual([]);
    const program = ts.createProgram([...files.keys()], {
      ...options,
      noEmit: true,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      moduleDetection: ts.ModuleDetectionKind.Force, // each snippet is a module of its own
    });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const snippet = diagnostic.file && files.get(resolve(diagnostic.file.fileName));
      if (!diagnostic.file || !snippet) return `${diagnostic.file?.fileName ?? '(no file)'}: ${message}`;
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return `${snippet.readme}:${snippet.line + line}: ts snippet ${snippet.number}: TS${diagnostic.code} ${message}`;
    });
    expect(problems).toEqual([]);
  }, 120_000);
});

interface PrintedSpan {
  name: string;
  id: string;
  traceId: string;
  parentId: string | undefined;
  /** 'server' or 'client'. */
  kind: string;
}

/**
 * The spans the console exporter printed: each is an object, printed by
 * `console.dir` from its first line `{` to its last line `}`.
 */
function printedSpans(stdout: string): PrintedSpan[] {
  const field = (block: string, key: string) =>
    new RegExp(`^  ${key}: (?:'([^']*)'|"([^"]*)"|(\\w+))`, 'm')
      .exec(block)
      ?.slice(1)
      .find((v) => v !== undefined);
  const kinds: Record<string, string> = { '1': 'server', '2': 'client', SERVER: 'server', CLIENT: 'client' };
  return [...stdout.matchAll(/^\{\n[\s\S]*?^\}$/gm)].map(([block]) => ({
    name: field(block, 'name')!,
    id: field(block, '(?:id|spanId)')!,
    traceId: field(block, 'traceId')!,
    parentId:
      /^ {2}parentSpanContext: \{[^}]*?spanId: '([0-9a-f]{16})'/m.exec(block)?.[1] ??
      /^ {2}parent(?:Span)?Id: '([0-9a-f]{16})'/m.exec(block)?.[1],
    kind: kinds[field(block, 'kind') ?? ''] ?? String(field(block, 'kind')),
  }));
}

describe('Getting started', () => {
  const app = readmes
    .flatMap(blocksOf)
    .find((block) => block.readme === 'README.md' && block.lang === 'js' && block.code.startsWith('// app.mjs'));
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = workFolder('readme-app-');
  });
  afterAll(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('README.md has the app.mjs block, after the heading "Getting started" and before the demo', () => {
    const text = readFileSync(join(root, 'README.md'), 'utf8');
    expect(app).toBeDefined();
    const at = text.indexOf(app!.code);
    expect(text.indexOf('\n## Getting started\n')).toBeGreaterThan(0);
    expect(at).toBeGreaterThan(text.indexOf('\n## Getting started\n'));
    expect(at).toBeLessThan(text.indexOf('\n## Demo\n'));
    expect(text.match(/^## .*/m)?.[0]).toBe('## Getting started');
  });

  test('app.mjs, run as written with OTEL_TRACES_EXPORTER=console, prints one trace for GET /hello/world', async () => {
    writeFileSync(join(dir, 'app.mjs'), app!.code);
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OTEL_')) env[key] = value;
    // PORT=0: any free port; the app reads PORT (default 3000) and prints the one it got.
    Object.assign(env, { OTEL_TRACES_EXPORTER: 'console', PORT: '0' });
    const started = spawn(process.execPath, ['app.mjs'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let stdout = '';
    let stderr = '';
    started.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    started.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      started.on('exit', (code, signal) => done({ code, signal })),
    );
    const origin = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`app.mjs printed no address in 15 s\n${stdout}${stderr}`)), 15_000);
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        outcome();
      };
      started.stdout!.on('data', () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) settle(() => done(match[1]!));
      });
      void exited.then(() => settle(() => fail(new Error(`app.mjs exited before it listened\n${stdout}${stderr}`))));
    });

    try {
      const response = await fetch(`${origin}/hello/world`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('world');

      started.kill('SIGTERM'); // the app closes the server, then flushes its spans
      expect(await exited).toEqual({ code: 0, signal: null });

      const spans = printedSpans(stdout);
      expect(spans).toHaveLength(3);
      const outer = spans.find((span) => span.kind === 'server' && span.name === 'GET /hello/:name');
      const client = spans.find((span) => span.kind === 'client');
      const inner = spans.find((span) => span.kind === 'server' && span !== outer);
      expect({ outer, client, inner }).toEqual({
        outer: expect.objectContaining({ parentId: undefined }),
        client: expect.objectContaining({ parentId: outer?.id }),
        inner: expect.objectContaining({ name: expect.stringMatching(/^GET \/\S+$/), parentId: client?.id }),
      });
      expect(outer!.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([outer!.traceId]));
      expect(new Set(spans.map((span) => span.id)).size).toBe(3);
    } catch (error) {
      if (error instanceof Error) error.message += `\n\napp.mjs printed:\n${stdout}${stderr}`;
      throw error;
    }
  }, 60_000);
});
