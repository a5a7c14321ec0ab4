// The local S3 server (s3rver) for infra/local/s3-local.ts: binds to 127.0.0.1 only, keeps objects in
// S3_LOCAL_DIR, and accepts requests signed with the given key pair (signatures are checked).
'use strict';
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');

const { S3_LOCAL_DIR, S3_LOCAL_PORT, S3_LOCAL_ACCESS_KEY_ID, S3_LOCAL_SECRET_ACCESS_KEY } = process.env;
if (!S3_LOCAL_DIR || !S3_LOCAL_PORT || !S3_LOCAL_ACCESS_KEY_ID || !S3_LOCAL_SECRET_ACCESS_KEY) {
  process.stderr.write('S3_LOCAL_DIR, S3_LOCAL_PORT, S3_LOCAL_ACCESS_KEY_ID and S3_LOCAL_SECRET_ACCESS_KEY are required\n');
  process.exit(2);
}
DUMMY_ACCOUNT.createKeyPair(S3_LOCAL_ACCESS_KEY_ID, S3_LOCAL_SECRET_ACCESS_KEY);
const server = new S3rver({ address: '127.0.0.1', port: Number(S3_LOCAL_PORT), directory: S3_LOCAL_DIR, silent: true, vhostBuckets: false });
server.run().then(
  () => process.stdout.write(`listening on 127.0.0.1:${S3_LOCAL_PORT}\n`),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
