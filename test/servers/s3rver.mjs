// An S3 endpoint on loopback for tests and benchmarks (its own process, so that
// tests may block on spawnSync): prints {"port":N} once listening; bucket `zpkg`.
import S3rver from 's3rver';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'zpkg' }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
