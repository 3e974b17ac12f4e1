#!/usr/bin/env node
// Entry point installed as `picolink`; the compiled CLI lives in dist/ (`npm run build`).
import '../dist/src/main.js';
