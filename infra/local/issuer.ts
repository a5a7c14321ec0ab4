/**
 * The local stand-in for the Cognito user pool: an ES256 key pair generated on first use and kept in
 * the data folder (or in memory for tests), a JWKS document the local server publishes, and tokens
 * with the same claims Cognito ID tokens carry (`cognito:groups`, `custom:district`, `custom:org`).
 */
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Role } from '../../shared/program/model.js';

export const LOCAL_ISSUER = 'urn:cos:local-issuer';
export const LOCAL_AUDIENCE = 'cos-local';
export const JWKS_PATH = '/.well-known/jwks.json';

export interface TokenClaims {
  role: Role;
  sub?: string;
  district?: string;
  org?: string;
  /** The school of a `school-staff` user (`custom:school`). */
  school?: string;
  name?: string;
  email?: string;
  /** Lifetime in seconds (default 12 hours). Negative makes an already expired token (tests). */
  ttlSeconds?: number;
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { keys: JWK[] };
  sign(claims: TokenClaims, nowMs?: number): Promise<string>;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

async function newKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateJwk, publicJwk };
}

/** The key file inside a data folder. */
export function issuerKeyFile(dataDir: string): string {
  return path.join(dataDir, 'auth', 'issuer-key.json');
}

/**
 * Loads the issuer key from `dataDir` (creating it on first use, written atomically with mode 0600),
 * or makes a throw-away key when `dataDir` is undefined.
 */
export async function loadLocalIssuer(dataDir?: string): Promise<LocalIssuer> {
  let key: StoredKey;
  if (dataDir) {
    const file = issuerKeyFile(dataDir);
    if (existsSync(file)) {
      key = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
    } else {
      key = await newKey();
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(key, null, 2), { mode: 0o600 });
      renameSync(tmp, file);
    }
  } else {
    key = await newKey();
  }
  return issuerFromKey(key);
}

async function issuerFromKey(key: StoredKey): Promise<LocalIssuer> {
  const privateKey = await importJWK(key.privateJwk, 'ES256');
  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    async sign(claims, nowMs = Date.now()) {
      const now = Math.floor(nowMs / 1000);
      const ttl = claims.ttlSeconds ?? 12 * 3600;
      const sub = claims.sub ?? defaultSub(claims);
      const payload: Record<string, unknown> = {
        'cognito:groups': [claims.role],
        'cognito:username': sub,
        token_use: 'id',
        ...(claims.name ? { name: claims.name } : {}),
        ...(claims.email ? { email: claims.email } : {}),
        ...(claims.district ? { 'custom:district': claims.district } : {}),
        ...(claims.org ? { 'custom:org': claims.org } : {}),
        ...(claims.school ? { 'custom:school': claims.school } : {}),
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt(Math.min(now, now + ttl))
        .setExpirationTime(now + ttl)
        .sign(privateKey);
    },
  };
}

function defaultSub(claims: TokenClaims): string {
  return [claims.role, claims.district, claims.org, claims.school].filter(Boolean).join('.');
}
