/**
 * The banner `npm start` prints: where to look, and a ready-to-use token and sign-in link for one demo
 * user of each role (from the demo region, seed 1). Printed by the system's process (serve.ts) and, on
 * the first start, by the demo history's process as soon as its dashboard answers.
 */
import path from 'node:path';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { Role } from '../../shared/program/model.js';
import { generateRegion } from '../../shared/region/demo-region.js';
import { OMSK_CITY_DISTRICT_ID } from '../../shared/region/districts.js';
import type { TokenClaims } from './directory.js';
import type { LocalStack } from './stack.js';
import { MAILBOX_FILE } from './mailbox.js';

export interface BannerOptions {
  /** Paths are shown relative to it. */
  root: string;
  dataDir: string;
  /** The line about the system's time (demo clock, history under way, system clock). */
  time: string;
}

export async function banner(
  stack: Pick<LocalStack, 'port' | 'sfnEndpoint' | 'dynamodbEndpoint' | 'tableName' | 'directory' | 'token'>,
  options: BannerOptions,
): Promise<string> {
  const { root, dataDir } = options;
  // One demo user of each role, from the demo region (seed 1).
  const region = generateRegion({ seed: 1 });
  const provider = region.contractors.find((c) => c.kind === 'internet-provider' && c.districts.length === 0) ?? region.contractors[0]!;
  const users: { label: string; claims: TokenClaims & { role: Role } }[] = [
    { label: 'program manager', claims: { role: 'program-manager', sub: 'demo-manager', name: 'Demo program manager' } },
    {
      label: `district coordinator (${OMSK_CITY_DISTRICT_ID})`,
      claims: { role: 'district-coordinator', sub: 'demo-coordinator', district: OMSK_CITY_DISTRICT_ID, name: 'Demo district coordinator' },
    },
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
    `  Notifications  the local mailbox: each one sent arrives in ${path.relative(root, path.join(dataDir, MAILBOX_FILE))}`,
    `  Function logs  ${path.relative(root, path.join(dataDir, 'logs', 'functions.log'))}   (LOG_LEVEL=debug npm start: on the console)`,
    `  Data           ${path.relative(root, dataDir)}/ (delete it to start from scratch)`,
    '',
    options.time,
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
  return lines.join('\n');
}

/** A demo instant as the program's local date and time (YYYY-MM-DD HH:MM). */
export function demoTimeText(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: REFERENCE_PROGRAM.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}
