/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Handlers throw `ApiProblem`; the app's
 * error handler turns it (and Hono's own HTTP errors, and anything unexpected) into the response.
 */
import type { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, type FieldError, type Problem } from '../../shared/api/schemas.js';

export const PROBLEM_TYPES = {
  validation: '/problems/validation',
  unauthorized: '/problems/unauthorized',
  forbidden: '/problems/forbidden',
  notFound: '/problems/not-found',
  conflict: '/problems/conflict',
  versionConflict: '/problems/version-conflict',
  dependency: '/problems/dependency',
  invalidEvidence: '/problems/invalid-evidence',
  invalidDocument: '/problems/invalid-document',
  tooLarge: '/problems/payload-too-large',
  unsupportedMediaType: '/problems/unsupported-media-type',
  notAcceptable: '/problems/not-acceptable',
  throttled: '/problems/throttled',
  unavailable: '/problems/unavailable',
  internal: '/problems/internal',
} as const;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly code: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; title?: string; code?: string; errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.title = options.title ?? TITLES[status] ?? 'Error';
    this.code = options.code;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  toJSON(instance: string): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      instance,
      ...(this.code ? { code: this.code } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export function problemResponse(problem: ApiProblem, instance: string): Response {
  return new Response(JSON.stringify(problem.toJSON(instance)), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...problem.headers },
  });
}

export type ValidationTarget = 'json' | 'query' | 'param' | 'header' | 'form' | 'cookie';

const TARGET_PREFIX: Record<ValidationTarget, string> = {
  json: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  form: 'body',
  cookie: 'cookie',
};

/** Every zod issue as a field error; `unrecognized_keys` becomes one "unknown field" error per key. */
export function fieldErrors(target: ValidationTarget, error: z.ZodError): FieldError[] {
  const prefix = TARGET_PREFIX[target];
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const path = [prefix, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: `${path}.${key}`, reason: 'unknown field' });
      continue;
    }
    out.push({ field: path, reason: issue.message });
  }
  return out;
}

export function validationProblem(
  errors: FieldError[],
  detail = 'The request is not valid; see errors for every field at fault.',
): ApiProblem {
  return new ApiProblem(400, detail, { type: PROBLEM_TYPES.validation, title: 'Invalid request', errors });
}
