/**
 * The sign-in flow against the local user directory: the authorization code with PKCE (S256), as the
 * dashboard runs it in AWS against Cognito's managed login. The code is good once, for the verifier
 * whose challenge started it and the redirect it was issued for; a first sign-in needs the temporary
 * password and sets the user's own; the tokens are the directory's and the API accepts them.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { createUserDirectory } from '../../shared/users/directory.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { authorizationCode, exchangeCode, pkce, signInConfigOf, signInThroughPages } from '../support/sign-in.js';

let stack: LocalStack;
let email: string;
let temporaryPassword: string;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `signin-${Date.now()}`,
    seed: false,
    startWorkflows: false,
    // As npm start runs it: the sign-in pages are served by the API's own thread.
    apiThread: true,
  });
  const directory = createUserDirectory({ client: stack.directory.client, userPoolId: stack.directory.userPoolId, invitations: 'return' });
  const invited = await directory.invite({ name: 'Ирина Петрова', email: 'irina@example.org', role: 'program-manager' });
  email = invited.user.email;
  temporaryPassword = invited.temporaryPassword!;
});
afterAll(async () => {
  await stack?.stop();
});

describe('the authorization-code flow with PKCE', () => {
  it("the first sign-in needs the temporary password, then a new one; the token is the directory's and the API takes it", async () => {
    await expect(signInThroughPages(stack.url, email, 'Wrong-temporary-1!', { newPassword: 'Irina-own-pass-1!' })).rejects.toThrow(
      /Incorrect/,
    );
    await expect(signInThroughPages(stack.url, email, temporaryPassword)).rejects.toThrow(/new password/);
    const token = await signInThroughPages(stack.url, email, temporaryPassword, { newPassword: 'Irina-own-pass-1!' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: stack.directory.issuer,
      aud: stack.directory.clientId,
      token_use: 'id',
      email,
      'cognito:groups': ['program-manager'],
    });
    const me = await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ role: 'program-manager', email, sub: claims.sub });
    // From now on the temporary password is gone and the own one signs in directly.
    await expect(signInThroughPages(stack.url, email, temporaryPassword)).rejects.toThrow(/Incorrect/);
    expect(await signInThroughPages(stack.url, email, 'Irina-own-pass-1!')).toMatch(/^ey/);
  });

  it('exchanges a code only with the verifier of its challenge, only for its redirect, and only once', async () => {
    const issued = await authorizationCode(stack.url, email, 'Irina-own-pass-1!', { state: 'xyz' });
    expect(issued.state).toBe('xyz');
    const wrongVerifier = await exchangeCode(stack.url, issued.code, issued.redirectUri, pkce().verifier);
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: 'invalid_grant' });
    // A code is spent by any attempt: the right verifier comes too late now.
    expect((await exchangeCode(stack.url, issued.code, issued.redirectUri, issued.pkce.verifier)).status).toBe(400);

    const second = await authorizationCode(stack.url, email, 'Irina-own-pass-1!');
    expect((await exchangeCode(stack.url, second.code, `${stack.url}/elsewhere`, second.pkce.verifier)).status).toBe(400);
    const third = await authorizationCode(stack.url, email, 'Irina-own-pass-1!');
    const ok = await exchangeCode(stack.url, third.code, third.redirectUri, third.pkce.verifier);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', id_token: expect.stringMatching(/^ey/) });
    expect((await exchangeCode(stack.url, third.code, third.redirectUri, third.pkce.verifier)).status).toBe(400);
  });

  it('refuses an authorization request without PKCE, for another client, or back to an unregistered address', async () => {
    const config = await signInConfigOf(stack.url);
    const { challenge } = pkce();
    const base = {
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: `${stack.url}/`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const ask = (params: Record<string, string>) => fetch(`${config.authorizeUrl}?${new URLSearchParams(params).toString()}`);
    expect((await ask(base)).status).toBe(200);
    const { code_challenge: _, ...noChallenge } = base;
    expect((await ask(noChallenge)).status).toBe(400);
    expect((await ask({ ...base, code_challenge_method: 'plain' })).status).toBe(400);
    expect((await ask({ ...base, client_id: 'another-client' })).status).toBe(400);
    expect((await ask({ ...base, redirect_uri: 'https://evil.example/' })).status).toBe(400);
  });

  it('sends sign-out back to the dashboard only', async () => {
    const config = await signInConfigOf(stack.url);
    const out = await fetch(`${config.logoutUrl}?client_id=${config.clientId}&logout_uri=${encodeURIComponent(`${stack.url}/`)}`, {
      redirect: 'manual',
    });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(`${stack.url}/`);
    expect(
      (
        await fetch(`${config.logoutUrl}?client_id=${config.clientId}&logout_uri=${encodeURIComponent('https://evil.example/')}`, {
          redirect: 'manual',
        })
      ).status,
    ).toBe(400);
  });
});
