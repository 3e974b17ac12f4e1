/**
 * The store a configuration names (`store` in the hub configuration, `picolink hub
 * --store`): the SQLite file by default, PostgreSQL for a postgres:// URL.
 */
import type { StoreConfig } from '../config.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { HubStore } from './store.js';

/** Opens the configured store; `defaultSqlitePath` when none is configured. */
export async function openConfiguredStore(store: StoreConfig | undefined, defaultSqlitePath: string, log?: (line: string) => void): Promise<HubStore> {
  if (store !== undefined && 'postgres' in store) return openPostgresStore({ url: store.postgres, ...(log ? { log } : {}) });
  return openSqliteStore({ path: store?.sqlite ?? defaultSqlitePath });
}
