/**
 * Sign-in without pasting a token: the authorization-code flow with PKCE (RFC 7636) against the sign-in
 * endpoints `GET /auth/config` names — Cognito's managed login in AWS, the local sign-in pages locally.
 * The verifier and the state wait in sessionStorage while the browser is away; the callback (`?code=…`
 * on the dashboard's own address) exchanges the code for the ID token, which becomes the session.
 */
import { SignInConfig } from '../../../shared/users/model.js';
import { session } from './session.js';

const PENDING = 'cos.signin';

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The dashboard's own address, as registered with the app client (the callback and sign-out URL). */
function dashboardUrl(): string {
  return new URL('./', new URL(location.pathname, location.origin)).toString();
}

async function config(): Promise<SignInConfig> {
  const res = await fetch(new URL('auth/config', document.baseURI));
  if (!res.ok) throw new Error(`sign-in is not configured (${res.status})`);
  return SignInConfig.parse(await res.json());
}

export async function startSignIn(): Promise<void> {
  const c = await config();
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(c.authorizeUrl);
  const params = {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: dashboardUrl(),
    scope: c.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** On the way back from the sign-in page: exchanges `?code=` for the ID token. Resolves to an error message, or null. */
export async function completeSignIn(): Promise<string | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  const error = query.get('error');
  if (!code && !error) return null;
  history.replaceState(null, '', `${location.pathname}#/`);
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (error) return query.get('error_description') ?? error;
  const { verifier, state } = pending ? (JSON.parse(pending) as { verifier: string; state: string }) : { verifier: '', state: '' };
  if (!verifier || query.get('state') !== state) return 'the sign-in answer does not match the request made from this tab';
  const c = await config();
  const res = await fetch(c.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: c.clientId,
      code: code!,
      redirect_uri: dashboardUrl(),
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error_description?: string; error?: string };
  if (!res.ok || !body.id_token) return body.error_description ?? body.error ?? `HTTP ${res.status}`;
  session.signIn(body.id_token);
  return null;
}

/** Ends the session here and at the sign-in service (so that the next sign-in asks for the password again). */
export async function signOutEverywhere(): Promise<void> {
  session.signOut();
  try {
    const c = await config();
    const url = new URL(c.logoutUrl);
    url.searchParams.set('client_id', c.clientId);
    url.searchParams.set('logout_uri', dashboardUrl());
    location.assign(url.toString());
  } catch {
    // No sign-in service configured: the local session is gone, which is what matters here.
  }
}
