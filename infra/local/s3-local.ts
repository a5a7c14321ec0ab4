/**
 * The local S3 server: s3rver (npm) as a child process on a loopback port, the way DynamoDB Local runs
 * (child-service.ts: watchdog, stopped with its parent). The SDK reaches it through
 * `AWS_ENDPOINT_URL_S3` with path-style addressing (the SDK's choice for an IP endpoint); the key pair
 * given here (the one the local stack's SDK clients use) is registered as its account's.
 *
 * - `dataDir` set: objects kept in that folder across restarts; unset: a temporary folder removed on stop.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startChildService, type ChildService } from './child-service.js';

export interface S3Local extends ChildService {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
}

const launcher = fileURLToPath(new URL('./s3-server.ts', import.meta.url));

export async function startS3Local(options: {
  dataDir?: string;
  port?: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): Promise<S3Local> {
  const port = options.port ?? (await freePort());
  const temporary = options.dataDir === undefined;
  const dir = options.dataDir ? path.resolve(options.dataDir) : mkdtempSync(path.join(tmpdir(), 'cos-s3-'));
  mkdirSync(dir, { recursive: true });
  const service = await startChildService({
    name: 'the local S3 server',
    command: process.execPath,
    // Node.js 22.18+ runs TypeScript whose types are erasable as it is.
    args: ['--no-warnings=ExperimentalWarning', launcher],
    port,
    cwd: dir,
    env: {
      ...process.env,
      S3_LOCAL_DIR: dir,
      S3_LOCAL_PORT: String(port),
      S3_LOCAL_ACCESS_KEY_ID: options.credentials.accessKeyId,
      S3_LOCAL_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    },
  });
  return {
    ...service,
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await service.stop();
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}
