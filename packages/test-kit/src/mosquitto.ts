/**
 * A throwaway Mosquitto broker for tests and benchmarks: a config file in a temp directory,
 * one listener on a free loopback port, anonymous clients allowed unless `users` is given
 * (then a password file made with Debian's `mosquitto_passwd`), TLS on that listener when
 * `tls` is given. `stop()` kills the broker and removes the directory; a broker still
 * running when the process exits is killed then too. `shutdown()` and `restart()` stop and
 * start the same broker on the same port, for tests of a broker that goes away.
 *
 *   const broker = await startMosquitto();
 *   after(() => broker.stop());
 *   // broker.url: mqtt://127.0.0.1:PORT
 *
 * The binary is Debian's `mosquitto` package: PICOLINK_MOSQUITTO when set, else
 * /usr/sbin/mosquitto, else `mosquitto` on PATH. Persistence is off: retained messages
 * live only as long as one run of the broker, so a restarted broker starts empty and a
 * client must publish its retained state again.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

export interface MosquittoOptions {
  /** Accounts the broker accepts, name → password; anonymous clients are refused when set. Default: anonymous only. */
  users?: Record<string, string>;
  /** PEM certificate chain and key: the listener speaks TLS (mqtts://) with them. Default: plain TCP. */
  tls?: { cert: string; key: string };
}

export interface MosquittoBroker {
  /** mqtt://127.0.0.1:PORT, or mqtts://127.0.0.1:PORT with `tls`. */
  url: string;
  port: number;
  /** The temp directory: mosquitto.conf, the password file, certificates, mosquitto.log. */
  dir: string;
  /** Kills the broker and removes its directory; a second call does nothing. */
  stop(): Promise<void>;
  /** Stops the broker (SIGTERM: clients are disconnected), keeping its port and directory. */
  shutdown(): Promise<void>;
  /** Starts the broker again after shutdown(), on the same port. */
  restart(): Promise<void>;
  /** The broker's log so far, for a failing test's message. */
  log(): string;
}

/** Attempts at a free port: another process may take the port between the probe and the start. */
const START_ATTEMPTS = 3;
/** How long the broker has to accept a TCP connection after it is started, in milliseconds. */
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 25;

/** The mosquitto binary, or undefined when it is not installed. */
export function findMosquitto(): string | undefined {
  const fromEnv = process.env.PICOLINK_MOSQUITTO;
  if (fromEnv) return fromEnv;
  if (existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'mosquitto'))) return join(dir, 'mosquitto');
  }
  return undefined;
}

/**
 * A self-signed EC P-256 certificate for 127.0.0.1 and localhost (openssl CLI), valid one
 * day: the broker's `tls`, and the client's CA file.
 */
export function loopbackCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-mqtt-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days', '1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeConfig(dir: string, port: number, options: MosquittoOptions): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    // As root, mosquitto drops to the `mosquitto` user, which cannot read the temp dir.
    `user ${userInfo().username}`,
  ];
  if (options.users) {
    const passwords = join(dir, 'passwords');
    writeFileSync(passwords, '', { mode: 0o600 });
    for (const [name, password] of Object.entries(options.users)) {
      execFileSync('mosquitto_passwd', ['-b', passwords, name, password], { stdio: 'ignore' });
    }
    lines.push('allow_anonymous false', `password_file ${passwords}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.tls) {
    writeFileSync(join(dir, 'cert.pem'), options.tls.cert);
    writeFileSync(join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
    lines.push(`certfile ${join(dir, 'cert.pem')}`, `keyfile ${join(dir, 'key.pem')}`);
  }
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once the broker accepts connections; rejects when it exits first or takes too long. */
async function whenReady(child: ChildProcess, port: number, log: () => string): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`mosquitto exited with ${String(exited)} before accepting connections:\n${log()}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`mosquitto did not accept connections on port ${port} within ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a fresh broker; rejects with its log when it cannot. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const binary = findMosquitto();
  if (binary === undefined) {
    throw new Error('Mosquitto is not installed: no /usr/sbin/mosquitto or mosquitto on PATH (apt-get install mosquitto mosquitto-clients, or set PICOLINK_MOSQUITTO)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'picolink-mosquitto-'));
  const log = (): string => {
    try {
      return readFileSync(join(dir, 'mosquitto.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  };
  let child: ChildProcess | undefined;
  const killSync = (): void => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killSync);
  const launch = async (config: string, port: number): Promise<void> => {
    child = spawn(binary, ['-c', config], { stdio: 'ignore' });
    await whenReady(child, port, log);
  };
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = writeConfig(dir, port, options);
      try {
        await launch(config, port);
      } catch (err) {
        if (attempt < START_ATTEMPTS) continue;
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
        port,
        dir,
        log,
        stop() {
          stopping ??= (async () => {
            process.removeListener('exit', killSync);
            const running = child;
            running?.kill('SIGKILL');
            if (running) await exitOf(running);
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopping;
        },
        async shutdown() {
          const running = child;
          if (!running || stopping) return;
          child = undefined;
          running.kill('SIGTERM');
          await exitOf(running);
        },
        async restart() {
          if (child || stopping) return;
          await launch(config, port);
        },
      };
    }
  } catch (err) {
    process.removeListener('exit', killSync);
    killSync();
    throw err;
  }
}
