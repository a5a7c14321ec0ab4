/**
 * The process of `npm start` that runs the system (started by start.ts, which keeps the console): the
 * local stack on the data folder, on the demo clock when the data folder has a demo timeline. Its own
 * stdout and stderr are the functions' output, as in Lambda (start.ts sends them to a log file); what is
 * meant for the console (progress lines, the banner) goes to the parent over IPC.
 *
 *   PORT, DATA_DIR as for npm start; POWERTOOLS_LOG_LEVEL (default INFO: every step, in the log file)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OMSK_CITY_DISTRICT_ID } from '../../shared/region/districts.js';
import { generateRegion } from '../../shared/region/demo-region.js';
import type { Role } from '../../shared/program/model.js';
import type { TokenClaims } from './directory.js';
import { startLocalStack } from './stack.js';
import { SystemClock } from '../../shared/clock.js';
import { demoClock, readDemoAnchor } from './demo.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';

/** Messages of this process to start.ts. */
export type ServeMessage = { type: 'log'; message: string } | { type: 'ready'; banner: string };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = path.resolve(ROOT, process.env.DATA_DIR ?? '.data');
const port = Number(process.env.PORT ?? 3000);

process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';

const send = (m: ServeMessage) => {
  if (process.send) process.send(m);
  else console.log(m.type === 'log' ? m.message : m.banner);
};
const say = (message: string) => send({ type: 'log', message });

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  // Signals are handled from the start: Ctrl-C while starting waits for the start, then stops it all.
  const anchor = readDemoAnchor(dataDir);
  const clock = anchor ? demoClock(anchor) : new SystemClock();
  const starting = startLocalStack({ dataDir, port, clock, cdkOut: path.join(dataDir, 'cdk.out'), log: say });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await (await starting).stop();
    } catch {
      /* a start that failed has stopped what it had started */
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  process.on('disconnect', () => void shutdown()); // start.ts is gone
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
    `  Function logs  ${path.relative(ROOT, path.join(dataDir, 'logs', 'functions.log'))}   (LOG_LEVEL=debug npm start: on the console)`,
    `  Data           ${path.relative(ROOT, dataDir)}/ (delete it to start from scratch)`,
    '',
    anchor
      ? `  Demo time      ${demoTimeText(clock.now())} ${REFERENCE_PROGRAM.timeZone}, moving at real speed (history from the program simulation, ${anchor.schools} schools up to ${anchor.demoDate}); delete ${path.relative(ROOT, dataDir)} to start over`
      : `  Time           the system clock (this data folder predates demo timelines; delete ${path.relative(ROOT, dataDir)} for the demo history)`,
    '',
    `  User directory ${stack.directory.endpoint} (pool ${stack.directory.userPoolId}); sign in at ${base}/ with an e-mail and password`,
    '  First program manager of an empty system: npm run admin -- create-manager --email ... --name ...',
    '',
    '  Demo users (ID tokens of the local directory, valid 1 hour; more with `npm run token -- --role ROLE ...`):',
  ];
  for (const u of users) {
    const token = await stack.token(u.claims);
    lines.push('', `  ${u.label}`, `    sign in: ${base}/#token=${token}`, `    curl -H "Authorization: Bearer ${token}" ${base}/api/me`);
  }
  lines.push('', '  Ctrl-C stops everything.', '');
  send({ type: 'ready', banner: lines.join('\n') });
}

function demoTimeText(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: REFERENCE_PROGRAM.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
