/**
 * `GET /auth/config` (open): where the dashboard sends people to sign in — Cognito's managed login in
 * AWS, the local sign-in pages locally — and the app client the authorization code is for.
 */
import { createRoute } from '@hono/zod-openapi';
import { SignInConfig } from '../../../shared/users/model.js';
import { notFound, problem, router, type RouteContext } from './common.js';

export function signInRoutes({ deps }: RouteContext) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/auth/config',
      tags: ['system'],
      summary: 'Where to sign in: the authorization-code flow with PKCE (no token needed)',
      responses: {
        200: { description: 'The sign-in endpoints and the app client', content: { 'application/json': { schema: SignInConfig } } },
        404: problem('Sign-in is not configured'),
      },
    }),
    (c) => {
      if (!deps.signIn) throw notFound('Sign-in is not configured.');
      c.header('cache-control', 'max-age=300');
      return c.json(deps.signIn, 200);
    },
  );
  return app;
}

/** The endpoints of a Cognito domain (or of the local sign-in pages, which serve the same paths). */
export function signInConfig(baseUrl: string, clientId: string): SignInConfig {
  const base = baseUrl.replace(/\/$/, '');
  return {
    authorizeUrl: `${base}/oauth2/authorize`,
    tokenUrl: `${base}/oauth2/token`,
    logoutUrl: `${base}/logout`,
    clientId,
    scope: 'openid email profile',
  };
}
