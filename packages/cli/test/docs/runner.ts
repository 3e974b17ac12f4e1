/**
 * Runs a Markdown file's code blocks as a reader would, against a simulated device or a demo
 * hub started on free ports: the shared part of the doc tests (`*.docs.test.ts`).
 *
 * How to use it, in a test file:
 *
 *     const docs = new DocRunner('README.md');                  // path from the repository root
 *     after(() => docs.close());
 *     await startSimDevice(docs);                               // documented port 12345 -> a free one
 *     const hub = await startDemoHub(docs);                     // 8080, 12400, 12401 -> free ones
 *     docs.substitute('l4uu…documented token', hub.token);     // any other documented -> actual text
 *     const block = docs.take('npx picolink send localhost'); // the next unclaimed block containing this
 *     const result = await docs.sh(block);                      // `npx picolink` is this checkout's CLI
 *     docs.checkOutput(docs.outputAfter(block), result.stdout); // the bare block after it, in shape
 *     const run = docs.background(docs.take('picolink watch'));  // runs until stopped; waitFor(/re/)
 *     const [program] = await docs.compileTs([docs.take('connect(', 'ts')]); // tsc, strict
 *     await docs.runTs(program);                                // node on the compiled block
 *     docs.assertAllCovered();                                  // last: every block taken or marked
 *                                                               // `<!-- not run as written: REASON -->`
 *
 * What a block runs: `sh` blocks run under `sh -e` in a temporary working directory (with
 * HOME there too, so `~/.picolink` is the test's own), with `npx picolink` meaning
 * `node packages/cli/dist/src/main.js` of this checkout. Before running, every documented
 * port that was mapped (`mapPort`) becomes the bound one, a bare `localhost` (picolink's
 * default port) becomes `localhost:PORT` once 12345 is mapped, and `substitute`d text is
 * replaced; output is mapped back (bound port -> documented port, and so on) before
 * `checkOutput` compares it, so documented output can show the documented ports.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { readDocBlocks, where } from '@picolink/test-kit/doc-blocks';
import type { DocBlock } from '@picolink/test-kit/doc-blocks';
import { CLI_MAIN, startDeviceProcess } from '../cli-process.js';
import { assertOutputShape } from './output-shape.js';
import type { ShapeOptions } from './output-shape.js';

export { where };
export type { DocBlock, ShapeOptions };

/** The repository's root (this file runs from packages/cli/dist/test/docs). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** picolink's default device port: a bare `localhost` in a command means this one. */
export const DEFAULT_DEVICE_PORT = 12345;

const NPX_SHIM = 'npx() { if [ "$1" = picolink ]; then shift; node "$PICOLINK_DOC_CLI" "$@"; else command npx "$@"; fi; }\n';

export interface ShResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A block left running (a device, `picolink watch`, a ts program waiting for an event). */
export interface BackgroundRun {
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code when it ends by itself. */
  readonly exited: Promise<number | null>;
  /** Waits until stdout (or stderr) matches; returns the match. Default 15 s. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM to it (and its children), then its exit code. */
  stop(): Promise<number | null>;
}

/** A compiled `ts` block, ready for {@link DocRunner.runTs}. */
export interface CompiledBlock {
  readonly block: DocBlock;
  readonly path: string;
}

export class DocRunner {
  /** Every fenced block of the file, in order. */
  readonly blocks: readonly DocBlock[];
  /** The temporary working directory (and HOME) of every block. */
  readonly cwd: string;
  private readonly covered = new Set<DocBlock>();
  private readonly ports = new Map<number, number>();
  private readonly texts: Array<[documented: string, actual: string]> = [];
  private readonly running = new Set<BackgroundRun>();
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  private tsDir: string | undefined;

  /** `file`: the Markdown file's path from the repository root. */
  constructor(readonly file: string) {
    this.blocks = readDocBlocks(join(REPO_ROOT, file)).map((b) => ({ ...b, file }));
    this.cwd = mkdtempSync(join(tmpdir(), 'picolink-docs-'));
  }

  /** The next block not taken yet whose text contains `match` (and of `lang`, if given); it counts as run. */
  take(match: string, lang?: string): DocBlock {
    const block = this.blocks.find((b) => !this.covered.has(b) && b.notRun === undefined && b.text.includes(match) && (lang === undefined || b.lang === lang));
    if (!block) throw new Error(`${this.file}: no block${lang ? ` (${lang})` : ''} containing "${match}" is left to run`);
    this.covered.add(block);
    return block;
  }

  /** The bare-fenced block right after `block`: its documented output. */
  outputAfter(block: DocBlock): DocBlock {
    const next = this.blocks[this.blocks.indexOf(block) + 1];
    if (!next || next.lang !== '' || next.notRun !== undefined) throw new Error(`${where(block)}: no output block follows it`);
    this.covered.add(next);
    return next;
  }

  /** Counts a block as checked by the caller (e.g. a JSON block parsed by the codec). */
  claim(block: DocBlock): void {
    this.covered.add(block);
  }

  /** Blocks neither run, checked nor marked `<!-- not run as written: REASON -->`. */
  uncovered(): DocBlock[] {
    return this.blocks.filter((b) => !this.covered.has(b) && b.notRun === undefined);
  }

  /** Fails naming every block that no test ran and no mark excuses. */
  assertAllCovered(): void {
    const left = this.uncovered();
    if (left.length > 0) {
      throw new Error(`blocks neither run by this test nor marked <!-- not run as written: REASON -->:\n${left.map((b) => `  ${where(b)} (${b.lang || 'bare'}): ${b.text.split('\n')[0]}`).join('\n')}`);
    }
  }

  /** The documented port `documented` is really `actual` in this run. */
  mapPort(documented: number, actual: number): void {
    this.ports.set(documented, actual);
  }

  /** The documented text `documented` (a token, a path) is really `actual` in this run. */
  substitute(documented: string, actual: string): void {
    this.texts.push([documented, actual]);
  }

  /** A block's text as it runs here: ports, a bare localhost and substituted text replaced. */
  commandText(block: DocBlock | string): string {
    let text = typeof block === 'string' ? block : block.text;
    if (this.ports.has(DEFAULT_DEVICE_PORT)) text = text.replace(/\blocalhost(?![\w.:-])/g, `localhost:${DEFAULT_DEVICE_PORT}`);
    for (const [documented, actual] of this.texts) text = text.split(documented).join(actual);
    return text.replace(/(?<![\w.])\d{4,5}(?!\w)/g, (port) => String(this.ports.get(Number(port)) ?? port));
  }

  /** Output as it would have been with the documented ports and texts. */
  documentedOutput(actual: string): string {
    let text = actual;
    for (const [documented, real] of this.texts) text = text.split(real).join(documented);
    for (const [documented, real] of this.ports) text = text.replace(new RegExp(`(?<![\\w.])${real}(?!\\w)`, 'g'), String(documented));
    return text;
  }

  /** Compares documented output with real output (mapped back first), in shape. */
  checkOutput(output: DocBlock, actual: string, options: ShapeOptions = {}): void {
    assertOutputShape(output.text, this.documentedOutput(actual), where(output), options);
  }

  /** Runs an `sh` block to its end (killed after `timeoutMs`, default 30 s). */
  async sh(block: DocBlock | string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ShResult> {
    const run = this.spawnShell(this.commandText(block), options.env);
    const timer = setTimeout(() => void run.stop(), options.timeoutMs ?? 30_000);
    const code = await run.exited;
    clearTimeout(timer);
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }

  /** Runs an `sh` block to its end and fails unless it exits 0. */
  async shOk(block: DocBlock | string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ShResult> {
    const result = await this.sh(block, options);
    if (result.code !== 0) throw new Error(`${typeof block === 'string' ? block : where(block)} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result;
  }

  /** Starts an `sh` block that runs until stopped (a single command is exec'd, so stop() gets its exit code). */
  background(block: DocBlock | string, options: { env?: NodeJS.ProcessEnv } = {}): BackgroundRun {
    const text = this.commandText(block);
    const single = text.startsWith('npx picolink ') && !/[\n;&|]/.test(text.replace(/\\\n/g, ' '));
    return this.spawnShell(single ? text.replace(/^npx picolink /, 'exec node "$PICOLINK_DOC_CLI" ') : text, options.env);
  }

  /**
   * Compiles `ts` blocks with tsc (strict, noUncheckedIndexedAccess, NodeNext, Node 20
   * types) in one program; throws with tsc's diagnostics. Ports are mapped first.
   */
  async compileTs(blocks: readonly DocBlock[]): Promise<CompiledBlock[]> {
    // Inside the repository, so `@picolink/client` resolves to this checkout's packages.
    const base = join(REPO_ROOT, 'node_modules', '.picolink-doc-blocks');
    mkdirSync(base, { recursive: true });
    this.tsDir ??= mkdtempSync(join(base, 'run-'));
    const dir = this.tsDir;
    const sources = blocks.map((block) => {
      const path = join(dir, `line-${block.line}.mts`);
      writeFileSync(path, this.commandText(block.text) + '\n');
      return { block, path };
    });
    const options: ts.CompilerOptions = {
      strict: true,
      noUncheckedIndexedAccess: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      skipLibCheck: true,
      outDir: dir,
    };
    const program = ts.createProgram(sources.map((s) => s.path), options);
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
    if (diagnostics.length > 0) {
      const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
      throw new Error(`${sources.map((s) => where(s.block)).join(', ')}: tsc:\n${text}`);
    }
    return sources.map(({ block, path }) => ({ block, path: path.replace(/\.mts$/, '.mjs') }));
  }

  /** Runs a compiled block with node; `runTs(...).exited` for one that ends by itself. */
  runTs(compiled: CompiledBlock, options: { env?: NodeJS.ProcessEnv } = {}): BackgroundRun {
    return this.track(spawn(process.execPath, [compiled.path], { cwd: this.cwd, env: this.env(options.env), detached: true }));
  }

  /** Runs `cleanup` on {@link close} (a device or hub the test started itself). */
  onClose(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  /** Stops everything still running and removes the temporary directories. */
  async close(): Promise<void> {
    await Promise.all([...[...this.running].map((run) => run.stop()), ...this.cleanups.map((cleanup) => cleanup())]);
    rmSync(this.cwd, { recursive: true, force: true });
    if (this.tsDir) rmSync(this.tsDir, { recursive: true, force: true });
  }

  private env(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
    return { ...process.env, HOME: this.cwd, PICOLINK_DOC_CLI: CLI_MAIN, ...extra };
  }

  private spawnShell(text: string, env: NodeJS.ProcessEnv | undefined): BackgroundRun {
    return this.track(spawn('sh', ['-ec', NPX_SHIM + text], { cwd: this.cwd, env: this.env(env), detached: true }));
  }

  /** Its own process group, so stop() also ends what a shell started. */
  private track(child: ChildProcessWithoutNullStreams): BackgroundRun {
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
    const exited = once(child, 'close').then(([code]) => code as number | null);
    const signal = (name: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, name);
      } catch {
        // already gone
      }
    };
    const run: BackgroundRun = {
      stdout: () => out.stdout,
      stderr: () => out.stderr,
      exited,
      async waitFor(pattern, stream = 'stdout', timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const match = pattern.exec(out[stream]);
          if (match) return match;
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stdout: ${out.stdout} stderr: ${out.stderr}`);
          if (Date.now() > deadline) throw new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; stdout: ${out.stdout} stderr: ${out.stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          signal('SIGTERM');
          const killer = setTimeout(() => signal('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        }
        return exited;
      },
    };
    this.running.add(run);
    void exited.then(() => this.running.delete(run));
    return run;
  }
}

/** A running `picolink device --sim` on a free port, mapped as the documented port (default 12345). */
export async function startSimDevice(docs: DocRunner, options: { documentedPort?: number; args?: readonly string[] } = {}): Promise<{ port: number; stop(): Promise<number | null> }> {
  const device = await startDeviceProcess(options.args ?? []);
  docs.mapPort(options.documentedPort ?? DEFAULT_DEVICE_PORT, device.port);
  docs.onClose(() => device.stop());
  return { port: device.port, stop: () => device.stop() };
}

/** What `picolink demo` printed, with the ports it bound. */
export interface DemoHub {
  /** Everything it printed on stdout up to "Ctrl-C stops…". */
  readonly output: string;
  readonly token: string;
  readonly httpPort: number;
  readonly gatewayPort: number;
  readonly telemetryPort: number;
  /** Its data directory (in the runner's working directory). */
  readonly dataDir: string;
  stop(): Promise<number | null>;
}

/**
 * Runs `picolink demo --port 0` in the runner's working directory (so its data goes to
 * `./picolink-data` there), maps 8080, 12400 and 12401 to the ports it bound.
 */
export async function startDemoHub(docs: DocRunner): Promise<DemoHub> {
  const run = docs.background('npx picolink demo --port 0');
  await run.waitFor(/Ctrl-C stops/, 'stdout', 60_000);
  const output = run.stdout();
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? NaN);
  const hub: DemoHub = {
    output,
    token: /^\s*token\s+(\S+)/m.exec(output)?.[1] ?? '',
    httpPort: number(/^\s*API\s+http:\/\/127\.0\.0\.1:(\d+)/m),
    gatewayPort: number(/^\s*gateway\s+127\.0\.0\.1:(\d+)/m),
    telemetryPort: number(/^\s*telemetry\s+127\.0\.0\.1:(\d+)/m),
    dataDir: join(docs.cwd, 'picolink-data'),
    stop: () => run.stop(),
  };
  if (!hub.token || [hub.httpPort, hub.gatewayPort, hub.telemetryPort].some((p) => !Number.isInteger(p))) throw new Error(`cannot read the demo's addresses from:\n${output}`);
  docs.mapPort(8080, hub.httpPort);
  docs.mapPort(12400, hub.gatewayPort);
  docs.mapPort(12401, hub.telemetryPort);
  return hub;
}
