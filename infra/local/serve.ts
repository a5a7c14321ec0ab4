/**
 * `npm start`: the whole system on this machine, data kept in `.data/` (restart resumes where it
 * stopped). Prints where to look and a ready-to-use token and sign-in link for one demo user of each
 * role. Ctrl-C stops everything, child processes included.
 *
 *   PORT=3000 (default)   DATA_DIR=.data (default)
 *   POWERTOOLS_LOG_LEVEL=WARN (default here: the functions' warnings and errors; INFO shows every step)
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OMSK_CITY_DISTRICT_ID } from '../../shared/region/districts.js';
import { generateRegion } from '../../shared/region/demo-region.js';
import type { Role } from '../../shared/program/model.js';
import type { TokenClaims } from './issuer.js';
import { startLocalStack } from './stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = path.resolve(ROOT, process.env.DATA_DIR ?? '.data');
const port = Number(process.env.PORT ?? 3000);

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const stamp = () => new Date().toISOString().slice(11, 19);
const say = (message: string) => console.log(`[${stamp()}] ${message}`);

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const webIndex = path.join(ROOT, 'functions/web/dist/index.html');
  if (!existsSync(webIndex)) {
    say('building the dashboard…');
    const { buildWeb } = await import('../../functions/web/build.js');
    await buildWeb();
  }

  // Signals are handled from the start: Ctrl-C while starting waits for the start, then stops it all.
  const starting = startLocalStack({ dataDir, port, cdkOut: path.join(dataDir, 'cdk.out'), log: say });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping…`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await (await starting).stop();
    } catch {
      /* a start that failed has stopped what it had started */
    } finally {
      say('stopped; `npm start` resumes from where it stopped');
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const stack = await starting;
  if (stopping) return;

  // One demo user of each role, from the demo region (seed 1).
  const region = generateRegion({ seed: 1 });
  const provider = region.contractors.find((c) => c.kind === 'internet-provider' && c.districts.length === 0) ?? region.contractors[0]!;
  const users: { label: string; claims: TokenClaims & { role: Role } }[] = [
    { label: 'program manager', claims: { role: 'program-manager', sub: 'demo-manager', name: 'Demo program manager' } },
    { label: `district coordinator (${OMSK_CITY_DISTRICT_ID})`, claims: { role: 'district-coordinator', sub: 'demo-coordinator', district: OMSK_CITY_DISTRICT_ID, name: 'Demo district coordinator' } },
    { label: `contractor (${provider.id})`, claims: { role: 'contractor', sub: 'demo-contractor', org: provider.id, name: provider.name } },
    { label: 'viewer', claims: { role: 'viewer', sub: 'demo-viewer', name: 'Demo viewer' } },
  ];
  const base = `http://localhost:${stack.port}`;
  const lines = [
    '',
    `  Dashboard      ${base}/`,
    `  API docs       ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health         ${base}/healthz`,
    `  Step Functions ${stack.sfnEndpoint}   (AWS_ENDPOINT_URL_SFN for the aws CLI / SDK)`,
    `  DynamoDB       ${stack.dynamodbEndpoint}   (table ${stack.tableName})`,
    `  Notifications  delivered ones are appended to ${path.relative(ROOT, path.join(dataDir, 'notifications.jsonl'))}`,
    `  Data           ${path.relative(ROOT, dataDir)}/ (delete it to start from scratch)`,
    '',
    '  Demo users (tokens valid 30 days; more with `npm run token -- --role ROLE ...`):',
  ];
  for (const u of users) {
    const token = await stack.issuer.sign({ ...u.claims, ttlSeconds: 30 * 24 * 3600 });
    lines.push('', `  ${u.label}`, `    sign in: ${base}/#token=${token}`, `    curl -H "Authorization: Bearer ${token}" ${base}/api/me`);
  }
  lines.push('', '  Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
