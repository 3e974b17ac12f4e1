import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/hub/web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // The protocol package is a pure, browser-safe codec: no Node built-ins, and no timers
    // (timeouts, rate limits and backoff live in @picolink/net).
    files: ['packages/protocol/src/**/*.ts'],
    ignores: ['packages/protocol/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'tls', 'dgram', 'crypto'] }],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require', 'setTimeout', 'setInterval', 'setImmediate'],
    },
  },
  {
    // The nettools core (framing, replies, terminal display) also runs in the browser.
    files: ['packages/nettools/src/core/**/*.ts'],
    ignores: ['packages/nettools/src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'tls', 'dgram', 'crypto'] }],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require'],
    },
  },
  {
    // The dashboard runs in the browser: no Node built-ins in the page's code.
    files: ['packages/dashboard/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'tls', 'dgram', 'crypto'] }],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require'],
    },
  },
  {
    files: ['packages/dashboard/vite.config.js'],
    languageOptions: { globals: { URL: 'readonly' } },
  },
);
