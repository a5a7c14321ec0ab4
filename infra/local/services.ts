/**
 * The local stack's service processes (DynamoDB Local, the user-directory emulator, the S3 server),
 * started together: each is a child process that spends its start-up in its own process (a JVM, two
 * Node.js servers), so they start side by side and beside whatever this process loads meanwhile (the
 * stack's modules, the template). This module is light on purpose: `npm start` sets them going before
 * it loads the rest of the stack.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { startCognitoLocal, type CognitoLocal } from './cognito-local.js';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startS3Local, type S3Local } from './s3-local.js';

export const REGION = 'eu-central-1';

/** The services being started; a service given by endpoint is not started (its promise is undefined). */
export interface LocalServices {
  dynamodb?: Promise<DynamoDbLocal>;
  cognito?: Promise<CognitoLocal>;
  s3?: Promise<S3Local>;
}

/** The AWS SDK's default region and key pair for the local services (what a variable already says wins). */
export function setSdkDefaults(): void {
  process.env.AWS_REGION ??= REGION;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}

/** Starts the services not given by endpoint, all at once, keeping their data in `dataDir` when given. */
export function startLocalServices(
  options: {
    dataDir?: string;
    dynamodbEndpoint?: string;
    cognitoEndpoint?: string;
    s3Endpoint?: string;
    /** DynamoDB Local's JVM options (dynamodb-local.ts: `JAVA_OPTIONS` unless given). */
    dynamodbJavaOptions?: readonly string[];
  } = {},
): LocalServices {
  setSdkDefaults();
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  const services: LocalServices = {};
  if (!options.dynamodbEndpoint) {
    services.dynamodb = startDynamoDbLocal({
      ...(dataDir ? { dataDir: path.join(dataDir, 'dynamodb') } : {}),
      ...(options.dynamodbJavaOptions ? { javaOptions: options.dynamodbJavaOptions } : {}),
    });
  }
  if (!options.cognitoEndpoint) {
    // With a data folder, the directory keeps its port: its issuer (`http://127.0.0.1:<port>/<pool>`) and so
    // the tokens it issued stay valid across restarts, and after the demo history hands over.
    const cognitoDir = dataDir ? path.join(dataDir, 'cognito') : undefined;
    services.cognito = (async () =>
      startCognitoLocal(cognitoDir ? { dataDir: cognitoDir, port: await keptPort(path.join(cognitoDir, 'port')) } : {}))();
  }
  if (!options.s3Endpoint) {
    services.s3 = startS3Local({
      ...(dataDir ? { dataDir: path.join(dataDir, 's3') } : {}),
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! },
    });
  }
  // A failure is reported where the service is awaited; these keep it from also being an unhandled rejection.
  for (const started of [services.dynamodb, services.cognito, services.s3]) started?.catch(() => undefined);
  return services;
}

/** Stops every service of `services` that started (after a failed start of the stack). */
export async function stopLocalServices(services: LocalServices): Promise<void> {
  const settled = await Promise.allSettled([services.dynamodb, services.cognito, services.s3]);
  for (const s of settled) if (s.status === 'fulfilled' && s.value) await s.value.stop();
}

/** The port kept in `file` when it is free again, else a new free port (written there). */
async function keptPort(file: string): Promise<number> {
  const kept = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  const port = Number.isInteger(kept) && kept > 0 && (await portIsFree(kept)) ? kept : await freePort();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${port}\n`);
  return port;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
