/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temp directory,
 * `pg_ctl start` on a free loopback port with its socket directory inside that temp
 * directory, trust authentication for the `postgres` superuser. `stop()` stops it
 * (`pg_ctl stop -m immediate`) and removes the directory; a cluster still running when
 * the process exits is stopped then too, so a failing test leaves nothing behind.
 * `shutdown()` and `restart()` stop and start the same server, for tests of a database
 * that goes away while a hub runs.
 *
 * The binaries come from Debian's `postgresql` package: PICOLINK_PG_BIN when set, else the
 * newest /usr/lib/postgresql/VERSION/bin, else `initdb` on PATH. initdb refuses to run as
 * root, so as root the cluster is created and run as the `postgres` system user (the
 * package creates it), with `runuser`.
 *
 *   const cluster = await startPostgres();
 *   after(() => cluster.stop());
 *   // cluster.url: postgres://postgres@127.0.0.1:PORT/postgres
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

export interface PostgresClusterOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous_commit, full_page_writes)
   * as a production server has them. Default false: off, which makes a test cluster
   * several times quicker and changes nothing a test can observe short of a power cut.
   */
  durable?: boolean;
  /** More server settings (`postgres -c NAME=VALUE`), e.g. { shared_buffers: '1GB' }. */
  settings?: Record<string, string>;
}

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** The temp directory: data/, the socket, postgres.log. */
  dir: string;
  /** The directory of the binaries used (initdb, pg_ctl, postgres). */
  binDir: string;
  /** Stops the server and removes its directory; a second call does nothing. */
  stop(): Promise<void>;
  /**
   * Shuts the server down as an administrator would (`pg_ctl stop -m fast`: clients are
   * disconnected), keeping its directory, for tests of a database that goes away.
   */
  shutdown(): Promise<void>;
  /** Starts the server again after shutdown(), on the same port and data directory. */
  restart(): Promise<void>;
  /**
   * Creates an empty database (Debian's `createdb`), e.g. one per test so that hubs of
   * different tests share nothing; resolves with its URL.
   */
  createDatabase(name: string): Promise<string>;
}

/** Attempts at a free port: another process may take the port between the probe and the start. */
const START_ATTEMPTS = 3;
/** pg_ctl waits this many seconds for the server to start or stop. */
const PG_CTL_TIMEOUT_S = 60;

function versionOf(name: string): number {
  return Number.parseFloat(name) || 0;
}

/** The directory holding initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.PICOLINK_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => versionOf(b) - versionOf(a));
    for (const version of versions) {
      const bin = join(root, version, 'bin');
      if (existsSync(join(bin, 'initdb'))) return bin;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

/** uid and gid of the `postgres` system user, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) {
    throw new Error('running as root, PostgreSQL must run as the "postgres" system user, and there is none: install the postgresql package');
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** A binary of `binDir`, run as the postgres user when this process is root. */
function command(binDir: string, name: string, args: readonly string[]): [string, string[]] {
  const path = join(binDir, name);
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
}

function run(binDir: string, name: string, args: readonly string[]): Promise<void> {
  const [file, argv] = command(binDir, name, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} ${args.join(' ')} exited with ${String(code)}: ${output.trim()}`));
    });
  });
}

function serverOptions(dir: string, port: number, options: PostgresClusterOptions): string {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    max_connections: '200',
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a fresh cluster; rejects with the server's log when it cannot. */
export async function startPostgres(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = findPostgresBin();
  if (binDir === undefined) {
    throw new Error('PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin or on PATH (apt-get install postgresql, or set PICOLINK_PG_BIN)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'picolink-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  if (asRoot()) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  let running = false;
  const stopSync = (): void => {
    if (running) spawnSync(...command(binDir, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']), { stdio: 'ignore' });
    running = false;
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  try {
    await run(binDir, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await run(binDir, 'pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-o', serverOptions(dir, port, options)]);
      } catch (err) {
        if (attempt < START_ATTEMPTS) continue;
        throw new Error(`${(err as Error).message}\n${tail(logFile)}`, { cause: err });
      }
      running = true;
      let stopping: Promise<void> | undefined;
      const settings = serverOptions(dir, port, options);
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        binDir,
        stop() {
          stopping ??= (async () => {
            process.removeListener('exit', stopSync);
            try {
              if (running) await run(binDir, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', String(PG_CTL_TIMEOUT_S)]);
            } finally {
              running = false;
              rmSync(dir, { recursive: true, force: true });
            }
          })();
          return stopping;
        },
        async shutdown() {
          if (!running || stopping) return;
          await run(binDir, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_S)]);
          running = false;
        },
        async restart() {
          if (running || stopping) return;
          try {
            await run(binDir, 'pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-o', settings]);
          } catch (err) {
            throw new Error(`${(err as Error).message}\n${tail(logFile)}`, { cause: err });
          }
          running = true;
        },
        async createDatabase(name) {
          await run(binDir, 'createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
          return `postgres://postgres@127.0.0.1:${port}/${name}`;
        },
      };
    }
  } catch (err) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw err;
  }
}
