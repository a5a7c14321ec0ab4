/**
 * `npm run token -- --role ROLE [--district ID] [--org ID] [--school ID] [--sub ID] [--name NAME] [--ttl SECONDS] [--data DIR]`
 * prints a token of the local issuer (the key lives in the data folder, made on first use).
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Role } from '../../shared/program/model.js';
import { loadLocalIssuer } from './issuer.js';

const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../.data', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      district: { type: 'string' },
      org: { type: 'string' },
      school: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      ttl: { type: 'string' },
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const usage = `usage: npm run token -- --role ${Role.options.join('|')} [--district ID] [--org ID] [--school ID] [--sub ID] [--name NAME] [--ttl SECONDS]`;
  if (values.help) {
    console.log(usage);
    return;
  }
  const role = Role.safeParse(values.role);
  if (!role.success) throw new Error(`--role is required, one of ${Role.options.join(', ')}\n${usage}`);
  if (role.data === 'district-coordinator' && !values.district) throw new Error('a district coordinator needs --district');
  if (role.data === 'contractor' && !values.org) throw new Error('a contractor needs --org');
  if (role.data === 'school-staff' && !values.school) throw new Error('school staff need --school');
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) throw new Error('--ttl is a whole number of seconds');
  const issuer = await loadLocalIssuer(path.resolve(values.data ?? process.env.DATA_DIR ?? DEFAULT_DATA_DIR));
  const token = await issuer.sign({
    role: role.data,
    ...(values.district ? { district: values.district } : {}),
    ...(values.org ? { org: values.org } : {}),
    ...(values.school ? { school: values.school } : {}),
    ...(values.sub ? { sub: values.sub } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.email ? { email: values.email } : {}),
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
  });
  console.log(token);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
