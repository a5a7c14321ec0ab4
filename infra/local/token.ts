/**
 * `npm run token -- --role ROLE [--district ID] [--org ID] [--school ID] [--sub ID] [--name NAME] [--data DIR]`
 * prints an ID token of the running local system's user directory for the user these options describe
 * (made on first use), signed in through the directory's own password flow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Role } from '../../shared/program/model.js';
import { signInAs } from './directory.js';
import type { LocalStackState } from './stack.js';

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
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const usage = `usage: npm run token -- --role ${Role.options.join('|')} [--district ID] [--org ID] [--school ID] [--sub ID] [--name NAME] [--email E]`;
  if (values.help) {
    console.log(usage);
    return;
  }
  const role = Role.safeParse(values.role);
  if (!role.success) throw new Error(`--role is required, one of ${Role.options.join(', ')}\n${usage}`);
  const file = path.join(path.resolve(values.data ?? process.env.DATA_DIR ?? DEFAULT_DATA_DIR), 'local-stack.json');
  if (!existsSync(file)) throw new Error('the local system is not running: start it with `npm start`');
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalStackState;
  const client = new CognitoIdentityProviderClient({
    endpoint: state.cognitoEndpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { userPoolId, clientId } = state;
    const issuer = `${state.cognitoEndpoint}/${userPoolId}`;
    console.log(
      await signInAs(
        { client, userPoolId, clientId, endpoint: state.cognitoEndpoint, issuer, jwksUrl: `${issuer}/.well-known/jwks.json` },
        {
          role: role.data,
          ...(values.district ? { district: values.district } : {}),
          ...(values.org ? { org: values.org } : {}),
          ...(values.school ? { school: values.school } : {}),
          ...(values.sub ? { sub: values.sub } : {}),
          ...(values.name ? { name: values.name } : {}),
          ...(values.email ? { email: values.email } : {}),
        },
      ),
    );
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
