/**
 * Sign-in: Bearer JWTs verified in the application with jose. In AWS the keys are the Cognito user
 * pool's JWKS; locally the local user directory's (the same API, emulated). The role comes from
 * `cognito:groups`, the district from `custom:district`, the contractor organization from `custom:org`,
 * the school of school staff from `custom:school`.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { Id, Role, type Actor } from '../../shared/program/model.js';
import { SCOPE_ATTRIBUTE } from '../../shared/users/model.js';

export interface AuthConfig {
  issuer: string;
  /** The app client id (Cognito ID tokens carry it as `aud`); required, never skipped. */
  audience: string;
  jwksUrl: string;
}

/**
 * Claims a token must carry to be accepted: an expiry (a token without one would be valid for ever), the
 * audience (a token of another app client of the same pool is refused) and `token_use` (`id`: Cognito's
 * access tokens carry no `aud`, profile or custom attributes; ID tokens do).
 */
export const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'token_use'] as const;

export interface Principal {
  actor: Exclude<Actor, { role: 'system' }>;
  name: string | null;
  email: string | null;
}

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** Most powerful first (the order of `Role`): a user in several groups acts with the first one listed there. */
const ROLE_ORDER: readonly Role[] = Role.options;

const Groups = z.union([z.array(z.string()), z.string().transform((s) => s.split(/[\s,]+/).filter(Boolean))]);

/** Verified tokens are remembered (by their full text) until they expire, at most this long. */
const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 10_000;

export function createVerifier(config: AuthConfig, keys?: JWTVerifyGetKey) {
  // A configuration without an issuer or audience would accept tokens meant for someone else: refuse it.
  if (!config.issuer.trim()) throw new Error('Authentication is misconfigured: the token issuer is empty');
  if (!config.audience.trim()) throw new Error('Authentication is misconfigured: the token audience (app client id) is empty');
  const getKey = keys ?? createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000 });
  const verified = new Map<string, { principal: Principal; until: number }>();
  return async function authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new AuthError(401, 'Sign in: send an Authorization: Bearer token');
    const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization);
    if (!match?.[1]) throw new AuthError(401, 'The Authorization header is not a Bearer JWT');
    const token = match[1];
    const known = verified.get(token);
    if (known && known.until > Date.now()) return known.principal;
    if (known) verified.delete(token);
    const principal = await verify(token);
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal: principal.principal, until: Math.min(principal.expiresAt, Date.now() + VERIFIED_TTL_MS) });
    return principal.principal;
  };

  async function verify(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: [...REQUIRED_CLAIMS],
        algorithms: ['RS256', 'ES256'],
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthError(401, 'The token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw new AuthError(401, `The token is not valid (${error.code}: ${error.claim} ${error.reason})`);
      if (error instanceof joseErrors.JOSEError) throw new AuthError(401, `The token is not valid (${error.code})`);
      throw error;
    }
    if (payload.token_use !== 'id') throw new AuthError(401, 'An ID token is required');
    // jose has checked that `exp` is present, a number and not past.
    return { principal: principalFromClaims(payload), expiresAt: payload.exp! * 1000 };
  }
}

export function principalFromClaims(payload: JWTPayload): Principal {
  const sub = typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub : null;
  if (!sub) throw new AuthError(401, 'The token has no subject');
  const groups = Groups.safeParse(payload['cognito:groups'] ?? []);
  const names = groups.success ? groups.data : [];
  const role = ROLE_ORDER.find((r) => names.includes(r));
  if (!role) throw new AuthError(403, `The account is in none of the groups ${ROLE_ORDER.join(', ')}`);
  const email = typeof payload.email === 'string' ? payload.email : null;
  const name =
    typeof payload.name === 'string'
      ? payload.name
      : (email ?? (typeof payload['cognito:username'] === 'string' ? (payload['cognito:username'] as string) : null));
  const base = { sub, ...(name ? { name } : {}) };
  switch (role) {
    case 'district-coordinator': {
      const district = Id.safeParse(payload[SCOPE_ATTRIBUTE.district]);
      if (!district.success) throw new AuthError(403, `A district coordinator needs the ${SCOPE_ATTRIBUTE.district} attribute`);
      return { actor: { role, ...base, district: district.data }, name, email };
    }
    case 'contractor': {
      const org = Id.safeParse(payload[SCOPE_ATTRIBUTE.org]);
      if (!org.success) throw new AuthError(403, `A contractor needs the ${SCOPE_ATTRIBUTE.org} attribute`);
      return { actor: { role, ...base, org: org.data }, name, email };
    }
    case 'school-staff': {
      const school = Id.safeParse(payload[SCOPE_ATTRIBUTE.school]);
      if (!school.success) throw new AuthError(403, `School staff need the ${SCOPE_ATTRIBUTE.school} attribute`);
      return { actor: { role, ...base, school: school.data }, name, email };
    }
    default:
      return { actor: { role, ...base }, name, email };
  }
}
