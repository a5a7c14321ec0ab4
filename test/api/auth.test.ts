/**
 * Token verification (functions/api/auth.ts) with real keys and jose: a token is accepted only with an
 * expiry, `token_use: id` and the configured audience; an empty audience setting is a configuration
 * error, never a skipped check. (That the local directory's tokens carry every required claim is shown by
 * test/local/sign-in.test.ts, whose tokens from the sign-in flow pass the API.)
 */
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AuthError, createVerifier } from '../../functions/api/auth.js';
import { ApiEnv, createHandler } from '../../functions/api/handler.js';

const ISSUER = 'https://issuer.example.org/pool';
const AUDIENCE = 'dashboard-client';

async function keys() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
  return { privateKey, jwks };
}

type Claims = { iss?: string; sub?: string; aud?: string; exp?: number; token_use?: string } & JWTPayload;

async function sign(privateKey: CryptoKey, claims: Claims): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' }).sign(privateKey);
}

const now = () => Math.floor(Date.now() / 1000);
const complete = (): Claims => ({
  iss: ISSUER,
  sub: 'user-1',
  aud: AUDIENCE,
  exp: now() + 600,
  iat: now(),
  token_use: 'id',
  'cognito:groups': ['viewer'],
});

async function outcome(authenticate: (h: string) => Promise<unknown>, token: string): Promise<string> {
  try {
    await authenticate(`Bearer ${token}`);
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthError) return `${error.status} ${error.message}`;
    throw error;
  }
}

describe('token verification', () => {
  it('accepts a complete ID token and refuses one without exp, token_use or aud, or with another token_use or audience', async () => {
    const { privateKey, jwks } = await keys();
    const authenticate = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'https://unused.invalid/jwks.json' }, jwks);
    const without = (claim: keyof Claims): Claims => {
      const c = complete();
      delete c[claim];
      return c;
    };
    const results = {
      complete: await outcome(authenticate, await sign(privateKey, complete())),
      noExp: await outcome(authenticate, await sign(privateKey, without('exp'))),
      noTokenUse: await outcome(authenticate, await sign(privateKey, without('token_use'))),
      noAudience: await outcome(authenticate, await sign(privateKey, without('aud'))),
      accessToken: await outcome(authenticate, await sign(privateKey, { ...complete(), token_use: 'access' })),
      otherAudience: await outcome(authenticate, await sign(privateKey, { ...complete(), aud: 'another-client' })),
      expired: await outcome(authenticate, await sign(privateKey, { ...complete(), exp: now() - 60 })),
    };
    expect(results).toEqual({
      complete: 'accepted',
      noExp: expect.stringMatching(/^401 .*exp/),
      noTokenUse: expect.stringMatching(/^401 .*token_use/),
      noAudience: expect.stringMatching(/^401 .*aud/),
      accessToken: '401 An ID token is required',
      otherAudience: expect.stringMatching(/^401 .*aud/),
      expired: '401 The token has expired',
    });
  });

  it('refuses to be built with an empty audience or issuer', async () => {
    const { jwks } = await keys();
    expect(() => createVerifier({ issuer: ISSUER, audience: '', jwksUrl: 'https://unused.invalid/jwks.json' }, jwks)).toThrow(/audience/);
    expect(() => createVerifier({ issuer: ISSUER, audience: '  ', jwksUrl: 'https://unused.invalid/jwks.json' }, jwks)).toThrow(/audience/);
    expect(() => createVerifier({ issuer: '', audience: AUDIENCE, jwksUrl: 'https://unused.invalid/jwks.json' }, jwks)).toThrow(/issuer/);
  });

  it('makes an empty or missing AUTH_AUDIENCE a configuration error of the API function', async () => {
    const base = { TABLE_NAME: 'milestones', AUTH_ISSUER: ISSUER };
    for (const env of [base, { ...base, AUTH_AUDIENCE: '' }, { ...base, AUTH_AUDIENCE: ' ' }]) {
      const parsed = ApiEnv.safeParse(env);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['AUTH_AUDIENCE']);
      // The function refuses to run at all, rather than answer requests without the check.
      const handler = createHandler({ env });
      const event = {
        version: '2.0',
        rawPath: '/healthz',
        rawQueryString: '',
        headers: {},
        requestContext: { http: { method: 'GET', path: '/healthz' } },
      } as unknown as APIGatewayProxyEventV2;
      await expect(handler(event, {} as Context)).rejects.toThrow(/AUTH_AUDIENCE/);
    }
    expect(ApiEnv.safeParse({ ...base, AUTH_AUDIENCE: AUDIENCE }).success).toBe(true);
  });
});
