/**
 * A simulated Pico W running the real agent files, for the tests: a flash directory (main.py,
 * picolink/, config.json) and a process that runs it — CPython with the shim modules
 * (test/python/run_agent.py), MicroPython on WebAssembly (mpy-host.ts), or MicroPython's
 * unix port with real sockets and TLS (test/mpy-unix/run_agent.py; see unix-port.ts). Like a board, it
 * boots again after machine.reset() (exit code 3) and after deep sleep (exit code 4, once
 * the sleep time has passed), on the same port and with the files the agent left behind.
 * The agent's tests and other packages' tests import it as `@picolink/test-kit/board`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
// The unix port's asyncio server does not say which port it bound, so a board there
// listening on "port 0" is given a free one instead.
import { freePort } from './free-port.js';
import { unixInterpreter } from './unix-port.js';
import type { UnixPort } from './unix-port.js';

/** The part of `@picolink/agent` the board uses. */
interface AgentFiles {
  AGENT_DIR: string;
  agentFiles(): string[];
  agentFilePath(relative: string): string;
}

// The agent package is loaded by name at run time, so the test kit builds before the agent,
// whose own tests use it; its compiled WebAssembly host and its Python shims stay there.
const agentName = '@picolink/agent';
const { AGENT_DIR, agentFilePath, agentFiles } = (await import(agentName)) as AgentFiles;
const PYTHON_TEST_DIR = join(AGENT_DIR, 'test', 'python');
const SHIM_DIR = join(PYTHON_TEST_DIR, 'shims');

/**
 * `cpython`: python3 with shims; `micropython`: the WebAssembly port, sockets from Node;
 * `unix` / `unix32`: MicroPython's unix port (64-bit / 32-bit with single-precision floats)
 * with its own sockets, select, asyncio and tls — only `machine` and `network` stood in.
 */
export type Runtime = 'cpython' | 'micropython' | UnixPort;

export const RESET_EXIT = 3;
export const DEEP_SLEEP_EXIT = 4;

/** One hardware operation the shim `machine` module reported. */
export interface HwEvent {
  op: string;
  pin?: number | string;
  level?: number;
  mode?: string;
  pull?: string;
  freq?: number;
  duty_u16?: number;
  ms?: number;
  timeout?: number;
  /** ms since this boot's `machine` import. */
  t: number;
  /** Which boot of the board reported it (1 for the first). */
  boot: number;
}

export interface MemoryReport {
  alloc: number;
  free: number;
  baseline: number;
  agent: number;
}

export interface BoardOptions {
  /** Merged over the test defaults (loopback, port 0, no WiFi, no status LED, short delays). */
  config?: Record<string, unknown>;
  /** More files for the flash, name → content. */
  files?: Record<string, string | Uint8Array>;
  /** The shim WLAN fails this many connection attempts first. */
  wifiFails?: number;
  /**
   * MicroPython heap in bytes (MicroPython routes). Defaults: 256 KiB on WebAssembly, 192 KiB
   * on `unix32` (about a Pico W's with WiFi up), the interpreter's own on `unix`.
   */
  heapBytes?: number;
}

interface TestContext {
  after(fn: () => unknown): void;
}

const HOST_SCRIPT = join(AGENT_DIR, 'dist', 'test', 'harness', 'mpy-host.js');
const CPYTHON_SCRIPT = join(PYTHON_TEST_DIR, 'run_agent.py');
const PYTHON = process.env.PYTHON ?? 'python3';
const UNIX_SCRIPT = join(AGENT_DIR, 'test', 'mpy-unix', 'run_agent.py');
const UNIX32_HEAP_BYTES = 192 * 1024;

function isUnixPort(runtime: Runtime): runtime is UnixPort {
  return runtime === 'unix' || runtime === 'unix32';
}


export const TEST_CONFIG = {
  host: '127.0.0.1',
  port: 0,
  device_id: 'test-pico',
  ssid: '',
  status_led: false,
  action_delay_ms: 50,
  crash_restart_ms: 0,
};

interface Waiter {
  match: () => boolean;
  resolve: () => void;
}

export class Board {
  readonly flashDir: string;
  /** Every hardware event over every boot, in order. */
  readonly hw: HwEvent[] = [];
  /** Exit codes of the processes that have ended. */
  readonly exits: number[] = [];
  port = 0;
  boots = 0;
  secure = false;
  private output: string[] = [];
  private child: ChildProcessWithoutNullStreams | undefined;
  private stopped = false;
  private waiters: Waiter[] = [];
  private memWaiters: Array<(report: MemoryReport) => void> = [];
  private exitWaiters: Array<() => void> = [];
  private listeningBoot = 0;
  private syncs = 0;
  private synced = 0;

  private constructor(
    readonly runtime: Runtime,
    private readonly options: BoardOptions,
  ) {
    this.flashDir = mkdtempSync(join(tmpdir(), `picolink-${runtime}-`));
  }

  /** Writes the agent and its config to a fresh flash directory and boots it. */
  static async start(t: TestContext, runtime: Runtime, options: BoardOptions = {}): Promise<Board> {
    const board = new Board(runtime, options);
    t.after(() => board.stop());
    for (const file of agentFiles()) {
      mkdirSync(dirname(join(board.flashDir, file)), { recursive: true });
      copyFileSync(agentFilePath(file), join(board.flashDir, file));
    }
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(board.flashDir, name), content);
    const config: Record<string, unknown> = { ...TEST_CONFIG, ...options.config };
    if (isUnixPort(runtime) && config.port === 0) config.port = await freePort();
    board.secure = Boolean(config.tls_cert);
    writeFileSync(join(board.flashDir, 'config.json'), JSON.stringify(config));
    board.boot();
    await board.listening();
    return board;
  }

  /** Address for the client SDK. */
  get url(): string {
    return `${this.secure ? 'tls' : 'tcp'}://127.0.0.1:${this.port}`;
  }

  /** Everything the agent printed so far (all boots). */
  get log(): string {
    return this.output.join('\n');
  }

  /** Sets what is wired to an input pin: 0, 1, or null for nothing (the pull decides). */
  setInput(pin: number, level: 0 | 1 | null): void {
    this.send({ pin, level });
  }

  /** Sets the raw reading (read_u16) of an ADC channel. */
  setAdc(channel: number, u16: number): void {
    this.send({ adc: channel, u16 });
  }

  /** Hardware events of one pin (writes, mode changes, PWM). */
  pinEvents(pin: number | string): HwEvent[] {
    return this.hw.filter((e) => e.pin === pin);
  }

  /** The level last written to a pin, or undefined, once everything reported so far is in. */
  async level(pin: number | string): Promise<number | undefined> {
    await this.sync();
    return this.pinEvents(pin).filter((e) => e.op === 'write').at(-1)?.level;
  }

  /** The level last written to a pin among the events received so far. */
  lastWrite(pin: number | string): number | undefined {
    return this.pinEvents(pin).filter((e) => e.op === 'write').at(-1)?.level;
  }

  /** The heap the agent uses after gc.collect() (MicroPython route only). */
  memory(): Promise<MemoryReport> {
    return new Promise((resolve) => {
      this.memWaiters.push(resolve);
      this.send({ mem: true });
    });
  }

  /** Resolves when `match` holds for the hardware events, or fails after `timeoutMs`. */
  waitForHw(match: (events: HwEvent[]) => boolean, timeoutMs = 3000, what = 'hardware event'): Promise<void> {
    return this.waitUntil(() => match(this.hw), timeoutMs, what);
  }

  /** Resolves when the agent's output contains `text`. */
  waitForOutput(text: string | RegExp, timeoutMs = 3000): Promise<void> {
    const test = (): boolean => (typeof text === 'string' ? this.log.includes(text) : text.test(this.log));
    return this.waitUntil(test, timeoutMs, `output ${String(text)}`);
  }

  /** Resolves once the board has booted `count` times in all and that boot is listening. */
  async bootedTimes(count: number, timeoutMs = 8000): Promise<void> {
    await this.waitUntil(() => this.listeningBoot >= count, timeoutMs, `boot ${count}`);
  }

  /**
   * Resolves once every hardware event reported before this call has been received: the
   * shim answers a "sync" command on stdout, behind everything it printed before.
   */
  async sync(): Promise<void> {
    this.syncs += 1;
    const id = this.syncs;
    this.send({ sync: id });
    await this.waitUntil(() => this.synced >= id, 3000, `sync ${id}`);
  }

  /** Stops the board for good and removes its flash directory. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.flashDir, { recursive: true, force: true });
  }

  /** Text of a file on the board's flash, or undefined (after a sync, so it is current). */
  async file(name: string): Promise<string | undefined> {
    await this.sync();
    try {
      return readFileSync(join(this.flashDir, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Fails the test if the agent printed a Python traceback. */
  assertNoTraceback(): void {
    if (/Traceback \(most recent call last\)/.test(this.log)) throw new Error(`the agent raised:\n${this.log}`);
  }

  private send(command: object): void {
    this.child?.stdin.write(JSON.stringify(command) + '\n');
  }

  private listening(timeoutMs = 10000): Promise<void> {
    return this.bootedTimes(this.boots, timeoutMs);
  }

  private waitUntil(match: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (match()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; the agent printed:\n${this.log.slice(-3000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private check(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.match()) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve();
      }
    }
  }

  private boot(): void {
    this.boots += 1;
    const boot = this.boots;
    if (this.port !== 0) this.keepPort();
    const shim = JSON.stringify({ wifi_fails: boot === 1 ? (this.options.wifiFails ?? 0) : 0, heap: this.options.heapBytes });
    const child = this.spawn(shim);
    this.child = child;
    const onLine = (line: string): void => this.onLine(line, boot);
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.on('exit', (code) => {
      this.exits.push(code ?? -1);
      for (const resolve of this.exitWaiters.splice(0)) resolve();
      if (this.stopped || this.child !== child) return;
      if (code === RESET_EXIT) this.boot();
      else if (code === DEEP_SLEEP_EXIT) {
        const sleep = this.hw.filter((e) => e.op === 'deepsleep' && e.boot === boot).at(-1);
        setTimeout(() => {
          if (!this.stopped) this.boot();
        }, sleep?.ms ?? 0);
      }
      this.check();
    });
  }

  private spawn(shim: string): ChildProcessWithoutNullStreams {
    const cwd = this.flashDir;
    if (this.runtime === 'cpython') return spawn(PYTHON, ['-u', '-B', CPYTHON_SCRIPT, cwd, shim], { cwd });
    if (this.runtime === 'micropython') return spawn(process.execPath, [HOST_SCRIPT, cwd, shim], { cwd });
    const interpreter = unixInterpreter(this.runtime);
    const heap = this.options.heapBytes ?? (this.runtime === 'unix32' ? UNIX32_HEAP_BYTES : undefined);
    const heapArgs = heap === undefined ? [] : ['-X', `heapsize=${heap}`];
    return spawn(interpreter.command, [...interpreter.args, ...heapArgs, UNIX_SCRIPT, cwd, SHIM_DIR, shim], { cwd });
  }

  private onLine(line: string, boot: number): void {
    if (line.startsWith('@hw ')) {
      this.hw.push({ ...(JSON.parse(line.slice(4)) as Omit<HwEvent, 'boot'>), boot });
    } else if (line.startsWith('@sync ')) {
      this.synced = Number(line.slice(6));
    } else if (line.startsWith('@mem ')) {
      this.memWaiters.shift()?.(JSON.parse(line.slice(5)) as MemoryReport);
    } else {
      this.output.push(line);
      const match = /^picolink: listening on [^:]+:(\d+)/.exec(line);
      if (match) this.listeningBoot = boot;
      if (match && this.port === 0) {
        this.port = Number(match[1]);
        this.keepPort();
      }
    }
    this.check();
  }

  /** Later boots listen on the port of the first, as a board keeps its address. */
  private keepPort(): void {
    const path = join(this.flashDir, 'config.json');
    writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), port: this.port }));
  }
}
