export * from './config.js';
export * from './bus.js';
export * from './directory.js';
export type * from './store/store.js';
