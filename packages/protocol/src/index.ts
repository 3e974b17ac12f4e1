export * from './errors.js';
export * from './version.js';
export * from './framing.js';
export * from './coerce.js';
export * from './actions.js';
export * from './request.js';
export * from './messages.js';
export * from './telemetry.js';
