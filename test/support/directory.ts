import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { importJWK, SignJWT, type JWK } from 'jose';
import { inject } from 'vitest';
import type { LocalDirectory } from '../../infra/local/directory.js';

/** The endpoint of the run's user-directory emulator (started by global-setup.ts). */
export function cognitoEndpoint(): string {
  return inject('cognitoEndpoint');
}

/**
 * The key the emulator signs its tokens with (published in its package): tests use it to make tokens
 * the directory would never issue, such as an expired one, that only fail for that one reason.
 */
export async function emulatorSigningKey(): Promise<{ key: CryptoKey | Uint8Array; kid: string }> {
  const file = createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  const { jwk } = JSON.parse(readFileSync(file, 'utf8')) as { jwk: JWK };
  return { key: await importJWK(jwk, 'RS256'), kid: jwk.kid ?? 'CognitoLocal' };
}

/** An ID token with the directory's issuer and audience, signed by `key` (default: the emulator's own key). */
export async function directoryToken(
  directory: LocalDirectory,
  claims: Record<string, unknown>,
  options: { sub: string; expiresAt?: number; key?: { key: CryptoKey | Uint8Array; kid: string } },
): Promise<string> {
  const signing = options.key ?? (await emulatorSigningKey());
  const now = Math.floor(Date.now() / 1000);
  const exp = options.expiresAt ?? now + 3600;
  return new SignJWT({ token_use: 'id', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
    .setIssuer(directory.issuer)
    .setAudience(directory.clientId)
    .setSubject(options.sub)
    .setIssuedAt(Math.min(now, exp - 60))
    .setExpirationTime(exp)
    .sign(signing.key);
}
