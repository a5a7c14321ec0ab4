/**
 * Signs in as a person does, over HTTP: the dashboard's sign-in configuration, the authorization request
 * with a PKCE challenge, the sign-in page's form (and the new-password form at a first sign-in), the
 * redirect with the code, and the code exchanged with the verifier for the directory's ID token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignInConfig } from '../../shared/users/model.js';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function signInConfigOf(baseUrl: string): Promise<SignInConfig> {
  return SignInConfig.parse(await (await fetch(`${baseUrl}/auth/config`)).json());
}

function formRequestId(html: string): string {
  const id = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (!id) throw new Error(`no sign-in form in:\n${html.slice(0, 500)}`);
  return id;
}

function alertOf(html: string): string | undefined {
  return /role="alert">([^<]*)</.exec(html)?.[1];
}

/** The code the sign-in pages send back to the dashboard, after the credentials (and a new password, when asked for). */
export async function authorizationCode(
  baseUrl: string,
  email: string,
  password: string,
  options: { newPassword?: string; pkce?: Pkce; state?: string } = {},
): Promise<{ code: string; state: string | null; redirectUri: string; pkce: Pkce }> {
  const config = await signInConfigOf(baseUrl);
  const challenge = options.pkce ?? pkce();
  const redirectUri = `${baseUrl}/`;
  const url = new URL(config.authorizeUrl);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri,
    scope: config.scope,
    state: options.state ?? 'test-state',
    code_challenge: challenge.challenge,
    code_challenge_method: 'S256',
  })) {
    url.searchParams.set(k, v);
  }
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`authorize: ${page.status} ${await page.text()}`);
  const request = formRequestId(await page.text());
  const post = (fields: Record<string, string>) =>
    fetch(config.authorizeUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, ...fields }).toString(),
    });
  let answer = await post({ username: email, password });
  if (answer.status === 200) {
    const html = await answer.text();
    if (!html.includes('name="new_password"')) throw new Error(`sign-in refused: ${alertOf(html) ?? html.slice(0, 300)}`);
    if (!options.newPassword) throw new Error('the directory asks for a new password');
    answer = await post({ new_password: options.newPassword, new_password_again: options.newPassword });
    if (answer.status === 200) throw new Error(`new password refused: ${alertOf(await answer.text())}`);
  }
  if (answer.status !== 302) throw new Error(`sign-in: ${answer.status} ${await answer.text()}`);
  const back = new URL(answer.headers.get('location')!);
  return {
    code: back.searchParams.get('code')!,
    state: back.searchParams.get('state'),
    redirectUri: `${back.origin}${back.pathname}`,
    pkce: challenge,
  };
}

export async function exchangeCode(baseUrl: string, code: string, redirectUri: string, verifier: string): Promise<Response> {
  const config = await signInConfigOf(baseUrl);
  return fetch(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
}

/** The whole flow: the ID token the dashboard ends up with. */
export async function signInThroughPages(
  baseUrl: string,
  email: string,
  password: string,
  options: { newPassword?: string } = {},
): Promise<string> {
  const { code, redirectUri, pkce: used } = await authorizationCode(baseUrl, email, password, options);
  const res = await exchangeCode(baseUrl, code, redirectUri, used.verifier);
  const body = (await res.json()) as { id_token?: string; error_description?: string };
  if (!res.ok || !body.id_token) throw new Error(`token: ${res.status} ${body.error_description}`);
  return body.id_token;
}
