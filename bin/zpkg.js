#!/usr/bin/env node
// The threadpool serves decompression, hashing and file writes during installs;
// its size is fixed at the first asynchronous call, so it is set before anything loads.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
// V8 lets a heap grow up to 4× what its last full collection kept before collecting
// again; installing 300,000 files then peaked at 750 MB with 200 MB live. At 2× it
// peaked at 540 MB in the same time. Set before anything allocates; V8 reads it at
// each collection. The bundle's launcher passes the same flag (packaging/launcher.c).
const v8 = await import('node:v8');
v8.setFlagsFromString('--heap-growing-percent=100');
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
