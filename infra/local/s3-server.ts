/**
 * The local S3 server process (started by s3-local.ts, run by Node.js directly): s3rver bound to
 * 127.0.0.1 only, objects kept in S3_LOCAL_DIR, the given key pair registered as its account's.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<unknown>;
  close(cb: () => void): void;
  middleware: Middleware[];
};
type Middleware = (
  ctx: { method: string; path: string; params?: Record<string, string>; get(h: string): string },
  next: () => Promise<unknown>,
) => Promise<unknown>;
const corsMiddleware = require('s3rver/lib/middleware/cors') as () => Middleware;
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
// s3rver answers with the bucket's CORS rules on object paths only (`/:bucket/:key*`); a browser's
// presigned POST goes to the bucket itself (`/:bucket`), which S3 answers with the same rules. Without
// them the dashboard's direct upload could not read the answer. The same middleware, in front.
const bucketCors = corsMiddleware();
server.middleware.unshift((ctx, next) => {
  const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
  if (ctx.method !== 'POST' || bucket === undefined || !ctx.get('origin')) return next();
  ctx.params = { ...ctx.params, bucket: decodeURIComponent(bucket) };
  return bucketCors(ctx, next);
});
server.run().then(
  () => process.stdout.write(`listening on 127.0.0.1:${S3_LOCAL_PORT}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
