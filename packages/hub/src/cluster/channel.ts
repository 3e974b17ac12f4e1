/**
 * `ClusterChannel`: how hubs sharing one PostgreSQL database tell each other things.
 * One dedicated connection per hub LISTENs on `picolink_cluster`; a message is one
 * `pg_notify` of a JSON object `{ kind, from, to?, ... }`. A hub ignores its own messages
 * and those addressed to another hub. PostgreSQL refuses a notification past 8000 bytes,
 * so a message over MAX_NOTIFY_BYTES is written to `cluster_mail` and the notification
 * carries only `{ kind: 'mail', id, to }`; the receiver reads the row (and deletes it when
 * the message was addressed to it alone).
 *
 * Notifications are not queued for a client that is not connected: when the listening
 * connection drops (the database restarts), it reconnects with `@picolink/net`'s backoff
 * and then calls the `onReconnect` handlers, so that what was missed can be reloaded.
 */
import type pg from 'pg';
import type { Pool } from 'pg';
import { reconnectDelayMs, sleep } from '@picolink/net';
import type { BackoffOptions } from '@picolink/net';

/** The one notification channel of every hub on a database. */
export const CLUSTER_CHANNEL = 'picolink_cluster';
/** Largest message sent as a notification itself, bytes of JSON (PostgreSQL's limit is 8000). */
export const MAX_NOTIFY_BYTES = 7000;
/** Broadcast mail is left for every hub to read; rows older than this are deleted, s. */
const MAIL_KEEP_S = 60;

/** A message between hubs: what it is, who sent it, and (when only one hub should act) to whom. */
export interface ClusterMessage {
  kind: string;
  /** The sending hub's id (set by publish()). */
  from: string;
  /** The one hub that should act on it; absent: every other hub. */
  to?: string;
  [field: string]: unknown;
}

/** A message as a hub publishes it (`from` is added). */
export interface OutgoingMessage {
  kind: string;
  to?: string;
  [field: string]: unknown;
}

export type ClusterHandler = (message: ClusterMessage) => void | Promise<void>;

export interface ClusterChannelOptions {
  hubId: string;
  /** For publishing and for cluster_mail. */
  pool: Pool;
  /** A new client on the same database, used for LISTEN (one at a time), named as given in pg_stat_activity. */
  newClient: (applicationName?: string) => pg.Client;
  /** Receives a line when the connection drops, comes back, or a handler fails. Default: none. */
  log?: (line: string) => void;
  /** Waits between reconnect attempts, ms. Default `@picolink/net`'s (1 s doubling to 60 s). */
  backoff?: BackoffOptions;
  /** Random numbers in [0, 1) for the backoff's jitter. Default Math.random. */
  random?: () => number;
}

export class ClusterChannel {
  private readonly handlers = new Map<string, ClusterHandler[]>();
  private readonly reconnectHandlers: Array<() => void | Promise<void>> = [];
  private readonly closed = new AbortController();
  private client: pg.Client | undefined;
  private reconnecting: Promise<void> | undefined;
  /** Messages are decoded one after another (mail is read from the table), so they reach handlers in the order sent. */
  private received: Promise<void> = Promise.resolve();

  constructor(private readonly options: ClusterChannelOptions) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.listen();
  }

  /** Sends `message` (its `from` set to this hub) to every other hub, or to `message.to`. */
  async publish(message: OutgoingMessage): Promise<void> {
    const full: ClusterMessage = { ...message, from: this.options.hubId };
    const text = JSON.stringify(full);
    if (Buffer.byteLength(text) <= MAX_NOTIFY_BYTES) {
      await this.options.pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, text]);
      return;
    }
    const { pool } = this.options;
    await pool.query(`DELETE FROM cluster_mail WHERE created_at < now() - interval '${MAIL_KEEP_S} seconds'`);
    const { rows } = await pool.query<{ id: number }>('INSERT INTO cluster_mail (body) VALUES ($1) RETURNING id', [text]);
    const mail = { kind: 'mail', from: full.from, id: rows[0]?.id, ...(full.to === undefined ? {} : { to: full.to }) };
    await pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, JSON.stringify(mail)]);
  }

  /** Calls `handler` for each message of `kind` meant for this hub. */
  on(kind: string, handler: ClusterHandler): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(handler);
    this.handlers.set(kind, list);
  }

  /** Calls `handler` each time the listening connection is back after a drop. */
  onReconnect(handler: () => void | Promise<void>): void {
    this.reconnectHandlers.push(handler);
  }

  /** Whether the listening connection is up now. */
  get connected(): boolean {
    return this.client !== undefined && this.reconnecting === undefined;
  }

  async close(): Promise<void> {
    this.closed.abort();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
    await this.reconnecting;
    await this.received;
  }

  private async listen(): Promise<void> {
    // Named so that an administrator can tell each hub's listening connection apart.
    const client = this.options.newClient(`picolink-listen ${this.options.hubId}`);
    client.on('notification', (note) => {
      const { payload } = note;
      if (note.channel === CLUSTER_CHANNEL && payload !== undefined) this.received = this.received.then(() => this.receive(payload));
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed.signal.aborted) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.closed.signal.aborted) return;
    this.client = undefined;
    void client.end().catch(() => {});
    this.options.log?.(`cluster: the listening connection dropped (${err.message}); reconnecting`);
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  private async reconnect(): Promise<void> {
    const { signal } = this.closed;
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      await sleep(reconnectDelayMs(attempt, (this.options.random ?? Math.random)(), this.options.backoff), signal);
      if (signal.aborted) return;
      try {
        await this.listen();
      } catch {
        continue;
      }
      this.options.log?.('cluster: listening again');
      for (const handler of this.reconnectHandlers) await this.guard('reconnect', handler);
      return;
    }
  }

  private async receive(payload: string): Promise<void> {
    let message: ClusterMessage;
    try {
      message = JSON.parse(payload) as ClusterMessage;
    } catch {
      return;
    }
    if (!this.isForMe(message)) return;
    if (message.kind === 'mail') {
      const body = await this.readMail(message);
      if (body === undefined) return;
      message = body;
      if (!this.isForMe(message)) return;
    }
    // Not awaited: a handler that waits (a relayed command) must not hold up the next message.
    for (const handler of this.handlers.get(message.kind) ?? []) void this.guard(message.kind, () => handler(message));
  }

  private isForMe(message: ClusterMessage): boolean {
    if (message === null || typeof message !== 'object' || typeof message.kind !== 'string') return false;
    if (message.from === this.options.hubId) return false;
    return message.to === undefined || message.to === this.options.hubId;
  }

  /** The mail's message: deleted when addressed to this hub alone, read otherwise. */
  private async readMail(note: ClusterMessage): Promise<ClusterMessage | undefined> {
    const id = Number(note.id);
    if (!Number.isSafeInteger(id)) return undefined;
    const text = note.to === undefined ? 'SELECT body FROM cluster_mail WHERE id = $1' : 'DELETE FROM cluster_mail WHERE id = $1 RETURNING body';
    try {
      const { rows } = await this.options.pool.query<{ body: string }>(text, [id]);
      const body = rows[0]?.body;
      return body === undefined ? undefined : (JSON.parse(body) as ClusterMessage);
    } catch (err) {
      this.options.log?.(`cluster: reading mail ${id} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async guard(what: string, run: () => void | Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.options.log?.(`cluster: handling "${what}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
