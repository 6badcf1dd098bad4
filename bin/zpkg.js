#!/usr/bin/env node
// The threadpool serves decompression, hashing and file writes during installs;
// its size is fixed at the first asynchronous call, so it is set before anything loads.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
