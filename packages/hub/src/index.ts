export * from './config.js';
export * from './bus.js';
export * from './directory.js';
export type * from './store/store.js';
export { openSqliteStore, SqliteStore } from './store/sqlite.js';
export type { SqliteStoreOptions } from './store/sqlite.js';
