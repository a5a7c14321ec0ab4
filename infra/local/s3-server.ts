/**
 * The local S3 server process (started by s3-local.ts, run by Node.js directly): s3rver bound to
 * 127.0.0.1 only, objects kept in S3_LOCAL_DIR, the given key pair registered as its account's.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<unknown>; close(cb: () => void): void };
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };

const { S3_LOCAL_DIR, S3_LOCAL_PORT, S3_LOCAL_ACCESS_KEY_ID, S3_LOCAL_SECRET_ACCESS_KEY } = process.env;
if (!S3_LOCAL_DIR || !S3_LOCAL_PORT || !S3_LOCAL_ACCESS_KEY_ID || !S3_LOCAL_SECRET_ACCESS_KEY) {
  process.stderr.write('S3_LOCAL_DIR, S3_LOCAL_PORT, S3_LOCAL_ACCESS_KEY_ID and S3_LOCAL_SECRET_ACCESS_KEY are required\n');
  process.exit(2);
}
DUMMY_ACCOUNT.createKeyPair(S3_LOCAL_ACCESS_KEY_ID, S3_LOCAL_SECRET_ACCESS_KEY);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(S3_LOCAL_PORT),
  directory: S3_LOCAL_DIR,
  silent: true,
  vhostBuckets: false,
});
server.run().then(
  () => process.stdout.write(`listening on 127.0.0.1:${S3_LOCAL_PORT}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
