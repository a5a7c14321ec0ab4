/**
 * The local user directory: `cognito-local` (an emulator of Cognito's user-pool API, from npm) as a child
 * process on a free 127.0.0.1 port, under the same watchdog as DynamoDB Local. Its data (user pools,
 * users) lives in `<dataDir>/.cognito` when a data folder is given, else in a temporary folder removed at
 * stop. The SDK reaches it through `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`.
 *
 * Its tokens are signed with the key pair the package ships (published with it), which is why it
 * listens on the loopback interface only; the issuer is `http://127.0.0.1:<port>/<user pool id>`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startChildService } from './child-service.js';

export interface CognitoLocal {
  /** `http://127.0.0.1:<port>`: the API endpoint, and the issuer's base. */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function entryPoint(): string {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('cognito-local/package.json'));
  return path.join(packageDir, 'lib', 'bin', 'start.js');
}

export async function startCognitoLocal(options: { dataDir?: string; port?: number } = {}): Promise<CognitoLocal> {
  const port = options.port ?? (await freePort());
  const temporary = options.dataDir ? undefined : mkdtempSync(path.join(tmpdir(), 'cognito-local-'));
  const cwd = options.dataDir ? path.resolve(options.dataDir) : temporary!;
  const endpoint = `http://127.0.0.1:${port}`;
  // The emulator reads `.cognito/config.json` in its working folder: bind the loopback interface only,
  // and name itself by the address it is reached at.
  mkdirSync(path.join(cwd, '.cognito'), { recursive: true });
  writeFileSync(
    path.join(cwd, '.cognito', 'config.json'),
    JSON.stringify({ ServerConfig: { hostname: '127.0.0.1', port }, TokenConfig: { IssuerDomain: endpoint } }, null, 2),
  );
  const service = await startChildService({
    name: 'the local user directory (cognito-local)',
    command: process.execPath,
    args: [entryPoint()],
    cwd,
    port,
    // HOST/PORT are its own variables; NODE_NO_WARNINGS hides the end-of-support note of its AWS SDK v2.
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), NODE_NO_WARNINGS: '1' },
  });
  return {
    endpoint,
    port,
    pid: service.pid,
    stop: async () => {
      await service.stop();
      if (temporary) rmSync(temporary, { recursive: true, force: true });
    },
  };
}
