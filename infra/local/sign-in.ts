/**
 * The local stand-in for Cognito's managed login: `/oauth2/authorize` (a sign-in page), `/oauth2/token`
 * and `/logout`, the authorization-code flow with PKCE (S256) exactly as the dashboard uses it in AWS.
 * Credentials are checked by the local user directory's own flow (InitiateAuth, and
 * RespondToAuthChallenge for NEW_PASSWORD_REQUIRED at the first sign-in), and the tokens the code is
 * exchanged for are the directory's.
 *
 * The emulator has a hosted page of its own, but it skips checks Cognito makes (a disabled account, the
 * temporary password before the new-password challenge) and the challenge itself; this page makes
 * those checks with the directory's admin API and runs the challenge.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AdminInitiateAuthCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { LocalDirectory } from './directory.js';
import type { LocalRoute } from './http-gateway.js';

export const AUTHORIZE_PATH = '/oauth2/authorize';
export const TOKEN_PATH = '/oauth2/token';
export const LOGOUT_PATH = '/logout';

const REQUEST_TTL_MS = 15 * 60_000;
const CODE_TTL_MS = 5 * 60_000;

interface PendingRequest {
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  expires: number;
  /** Set when the directory asked for a new password. */
  challenge?: { session: string; username: string };
}

interface IssuedCode {
  redirectUri: string;
  codeChallenge: string;
  tokens: AuthenticationResultType;
  expires: number;
}

export interface LocalSignIn {
  route: LocalRoute;
}

export function localSignIn(directory: LocalDirectory, callbackUrls: readonly string[]): LocalSignIn {
  const requests = new Map<string, PendingRequest>();
  const codes = new Map<string, IssuedCode>();
  const sweep = () => {
    const now = Date.now();
    for (const [k, v] of requests) if (v.expires < now) requests.delete(k);
    for (const [k, v] of codes) if (v.expires < now) codes.delete(k);
  };

  async function authorizePage(url: URL, res: ServerResponse): Promise<void> {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== directory.clientId) return oauthError(res, 400, 'invalid_request', 'unknown client_id');
    if (!callbackUrls.includes(redirectUri))
      return oauthError(res, 400, 'invalid_request', 'redirect_uri is not registered for this client');
    if (q.get('response_type') !== 'code') return oauthError(res, 400, 'unsupported_response_type', 'response_type must be code');
    const codeChallenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
      return oauthError(res, 400, 'invalid_request', 'PKCE is required: code_challenge (S256) and code_challenge_method=S256');
    }
    sweep();
    const id = randomBytes(24).toString('base64url');
    requests.set(id, { redirectUri, state: q.get('state') ?? undefined, codeChallenge, expires: Date.now() + REQUEST_TTL_MS });
    html(res, 200, signInForm(id));
  }

  async function authorizeSubmit(body: Buffer, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(body.toString('utf8'));
    const id = form.get('request') ?? '';
    const request = requests.get(id);
    if (!request || request.expires < Date.now())
      return html(
        res,
        400,
        page(
          'Сеанс входа истёк / The sign-in has expired',
          '<p>Вернитесь в приложение и начните вход снова. / Go back to the application and sign in again.</p>',
        ),
      );
    let result: AuthenticationResultType | undefined;
    if (request.challenge) {
      const password = form.get('new_password') ?? '';
      if (password !== (form.get('new_password_again') ?? ''))
        return html(res, 200, newPasswordForm(id, 'Пароли не совпадают. / The passwords differ.'));
      try {
        const answer = await directory.client.send(
          new RespondToAuthChallengeCommand({
            ClientId: directory.clientId,
            ChallengeName: 'NEW_PASSWORD_REQUIRED',
            Session: request.challenge.session,
            ChallengeResponses: { USERNAME: request.challenge.username, NEW_PASSWORD: password },
          }),
        );
        result = answer.AuthenticationResult;
      } catch (error) {
        return html(res, 200, newPasswordForm(id, `${(error as Error).message}`));
      }
    } else {
      const username = (form.get('username') ?? '').trim().toLowerCase();
      const password = form.get('password') ?? '';
      const outcome = await checkCredentials(username, password);
      if (outcome.kind === 'refused') return html(res, 200, signInForm(id, outcome.message, username));
      if (outcome.kind === 'new-password') {
        request.challenge = { session: outcome.session, username };
        return html(res, 200, newPasswordForm(id));
      }
      result = outcome.tokens;
    }
    if (!result?.IdToken) return html(res, 200, signInForm(id, 'Вход не удался. / Sign-in failed.'));
    requests.delete(id);
    const code = randomBytes(32).toString('base64url');
    codes.set(code, {
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      tokens: result,
      expires: Date.now() + CODE_TTL_MS,
    });
    const back = new URL(request.redirectUri);
    back.searchParams.set('code', code);
    if (request.state !== undefined) back.searchParams.set('state', request.state);
    res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  type Outcome =
    | { kind: 'refused'; message: string }
    | { kind: 'new-password'; session: string }
    | { kind: 'signed-in'; tokens: AuthenticationResultType };

  async function checkCredentials(username: string, password: string): Promise<Outcome> {
    const wrong: Outcome = { kind: 'refused', message: 'Неверная почта или пароль. / Incorrect e-mail or password.' };
    if (!username || !password) return wrong;
    // Cognito refuses a disabled account itself; the emulator does not, so ask the directory first.
    const found = await directory.client.send(
      new ListUsersCommand({ UserPoolId: directory.userPoolId, Filter: `email = "${username.replace(/["\\]/g, '')}"`, Limit: 1 }),
    );
    if (found.Users?.[0]?.Enabled === false) return { kind: 'refused', message: 'Учётная запись отключена. / The account is disabled.' };
    try {
      const answer = await directory.client.send(
        new InitiateAuthCommand({
          ClientId: directory.clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      );
      if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
        // The emulator asks for a new password without checking the temporary one; the admin flow does check it.
        await directory.client.send(
          new AdminInitiateAuthCommand({
            UserPoolId: directory.userPoolId,
            ClientId: directory.clientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: username, PASSWORD: password },
          }),
        );
        return { kind: 'new-password', session: answer.Session };
      }
      if (answer.AuthenticationResult) return { kind: 'signed-in', tokens: answer.AuthenticationResult };
      return {
        kind: 'refused',
        message: `Этот шаг входа не поддерживается: ${answer.ChallengeName} / This sign-in step is not supported: ${answer.ChallengeName}`,
      };
    } catch (error) {
      const name = (error as Error).name;
      if (['NotAuthorizedException', 'InvalidPasswordException', 'UserNotFoundException'].includes(name)) return wrong;
      throw error;
    }
  }

  function token(body: Buffer, res: ServerResponse): void {
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('grant_type') !== 'authorization_code')
      return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be authorization_code');
    if (form.get('client_id') !== directory.clientId) return oauthError(res, 400, 'invalid_client', 'unknown client_id');
    const code = form.get('code') ?? '';
    const issued = codes.get(code);
    // A code is good once, whatever happens next.
    codes.delete(code);
    if (!issued || issued.expires < Date.now()) return oauthError(res, 400, 'invalid_grant', 'the code is unknown, used or expired');
    if (form.get('redirect_uri') !== issued.redirectUri)
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
      return oauthError(res, 400, 'invalid_grant', 'code_verifier does not match the code_challenge');
    }
    json(res, 200, {
      id_token: issued.tokens.IdToken,
      access_token: issued.tokens.AccessToken,
      ...(issued.tokens.RefreshToken ? { refresh_token: issued.tokens.RefreshToken } : {}),
      token_type: 'Bearer',
      expires_in: issued.tokens.ExpiresIn ?? 3600,
    });
  }

  function logout(url: URL, res: ServerResponse): void {
    const to = url.searchParams.get('logout_uri') ?? '';
    if (url.searchParams.get('client_id') !== directory.clientId || !callbackUrls.includes(to))
      return oauthError(res, 400, 'invalid_request', 'unknown client_id or logout_uri');
    res.writeHead(302, { location: to, 'cache-control': 'no-store' });
    res.end();
  }

  const route: LocalRoute = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === AUTHORIZE_PATH && req.method === 'GET') await authorizePage(url, res);
    else if (url.pathname === AUTHORIZE_PATH && req.method === 'POST') await authorizeSubmit(body, res);
    else if (url.pathname === TOKEN_PATH && req.method === 'POST') token(body, res);
    else if (url.pathname === LOGOUT_PATH && req.method === 'GET') logout(url, res);
    else return false;
    return true;
  };
  return { route };
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  json(res, status, { error, error_description: description });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function html(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, content: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}button{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#b00020}.muted{color:#57606a;font-size:.9rem}</style></head>
<body><main><h1>${escape(title)}</h1>${content}</main></body></html>`;
}

function signInForm(request: string, error?: string, username = ''): string {
  return page(
    'Вход / Sign in',
    `${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="${AUTHORIZE_PATH}">
<input type="hidden" name="request" value="${escape(request)}">
<label for="username">Электронная почта / E-mail</label><input id="username" name="username" type="email" autocomplete="username" required value="${escape(username)}">
<label for="password">Пароль / Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Войти / Sign in</button>
</form><p class="muted">Локальный каталог пользователей / Local user directory</p>`,
  );
}

function newPasswordForm(request: string, error?: string): string {
  return page(
    'Новый пароль / New password',
    `<p>Задайте свой пароль вместо временного. / Set your own password in place of the temporary one.</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="${AUTHORIZE_PATH}">
<input type="hidden" name="request" value="${escape(request)}">
<label for="new_password">Новый пароль / New password</label><input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="12">
<label for="new_password_again">Ещё раз / Again</label><input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" required minlength="12">
<button type="submit">Сохранить и войти / Save and sign in</button>
</form>`,
  );
}
