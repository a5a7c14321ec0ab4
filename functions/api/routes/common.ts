/**
 * What every route module of the API shares: the app's environment (the signed-in principal), its
 * dependencies, the OpenAPI fragments every route repeats, the problems routes throw, and the school
 * reads (with the profile cache) that several resources need.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { PROBLEM_CONTENT_TYPE, Problem } from '../../../shared/api/schemas.js';
import type { Clock } from '../../../shared/clock.js';
import type { CommandService } from '../../../shared/commands/execute.js';
import type { Rejection } from '../../../shared/domain/rejection.js';
import type { DocumentBucket } from '../../../shared/documents/storage.js';
import type { District, ProgramDefinition, School } from '../../../shared/program/model.js';
import type { CsvImportError } from '../../../shared/region/csv-import.js';
import type { MilestoneStore, Page, SchoolRecord, SchoolSummary } from '../../../shared/store/store.js';
import type { WorkflowSignal } from '../../common/workflow-signal.js';
import type { WebRequest, WebResponse } from '../../web/serve.js';
import type { Principal } from '../auth.js';
import type { JobStore } from '../../../shared/store/jobs.js';
import type { JobQueue } from '../jobs.js';
import { ApiProblem, PROBLEM_TYPES, fieldErrors, validationProblem, type ValidationTarget } from '../problem.js';
import type { RateLimit } from '../rate-limit.js';
import type { UsersDeps } from './users.js';
import type { SignInConfig } from '../../../shared/users/model.js';

import type { Log } from '../../common/log.js';
import { milestonesOfVersion, type ProgramCatalog, type ProgramResolver } from '../../../shared/programs/resolver.js';

export type { Log };

export interface ApiDeps {
  store: MilestoneStore;
  program: ProgramDefinition;
  /** The program version each school follows (default: read from the store, cached per version). */
  programs?: ProgramResolver;
  districts: readonly District[];
  clock: Clock;
  authenticate(authorization: string | undefined): Promise<Principal>;
  signal: WorkflowSignal;
  jobs: JobStore;
  /** Runs jobs asynchronously; without one, bulk actions and imports answer 503. */
  queue: JobQueue | null;
  /** Serves the dashboard's static files (`/`, `/assets/*`); null for paths that are not its. */
  web?: (request: WebRequest) => WebResponse | null | Promise<WebResponse | null>;
  rateLimit?: RateLimit | null;
  /** The user directory and its audit (the users routes); without one, they answer 503. */
  users?: UsersDeps | null;
  /** Where the dashboard signs in (`GET /auth/config`); without it, that route answers 404. */
  signIn?: SignInConfig | null;
  /** The evidence-document bucket; without one, the document routes answer 503. */
  documents?: DocumentBucket | null;
  log?: Log;
  version?: string;
}

export type Env = { Variables: { principal: Principal } };

/** One resource's routes: validation failures become a 400 problem listing every field. */
export function router(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (!result.success) throw validationProblem(fieldErrors(result.target as ValidationTarget, result.error));
    },
  });
}

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: Problem } };
export const problem = (description: string) => ({ description, content: problemContent });
export const COMMON_ERRORS = {
  400: problem('Malformed request: every field at fault is listed in `errors`'),
  401: problem('No token, or a token that is expired, not signed by the issuer, or for another audience'),
  403: problem('Signed in, but not allowed'),
  429: problem('Too many requests: retry after the `Retry-After` seconds'),
} as const;
export const security = [{ bearerAuth: [] }];

export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
  .optional()
  .describe('Replays of the same key (same user, same request) answer with the first answer and change nothing');
export const IfMatch = z
  .string()
  .regex(/^\s*(\*|(W\/)?"?\d{1,9}"?)\s*$/, 'the version as an entity tag, e.g. "3"')
  .optional()
  .describe('The version the change is based on (its ETag); another current version is a 409');

export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(value);
  return m ? Number(m[1]) : undefined; // `*`: any version
}

export function forbidden(detail: string): ApiProblem {
  return new ApiProblem(403, detail, { type: PROBLEM_TYPES.forbidden });
}

export function notFound(detail: string): ApiProblem {
  return new ApiProblem(404, detail, { type: PROBLEM_TYPES.notFound });
}

export function tooLarge(limit?: number): ApiProblem {
  return new ApiProblem(413, limit ? `The body is larger than ${limit} bytes.` : 'The body is too large.', {
    type: PROBLEM_TYPES.tooLarge,
  });
}

/** `format=csv|json` or the Accept header: which of the two a client wants. */
export function negotiate(accept: string | undefined): 'json' | 'csv' {
  if (!accept) return 'json';
  const types = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
      return { type: type!.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const t of types) {
    if (t.type === 'text/csv') return 'csv';
    if (t.type === 'application/json' || t.type === 'application/*' || t.type === '*/*' || t.type === 'application/problem+json')
      return 'json';
    if (t.type === 'text/*') return 'csv';
  }
  throw new ApiProblem(406, 'This report is available as application/json or text/csv.', { type: PROBLEM_TYPES.notAcceptable });
}

/** School reads several resources share, with school profiles kept in memory. */
export interface SchoolReads {
  /** The school and its milestones; 404 when there is none. */
  loadSchool(schoolId: string): Promise<SchoolRecord>;
  profile(schoolId: string): Promise<School>;
  profiles(ids: string[]): Promise<Map<string, School>>;
  allSchools(district?: string): Promise<School[]>;
  /** Every school (of a district) with its milestone summary: a few pages of the schools index. */
  allSummaries(district?: string): Promise<SchoolSummary[]>;
  /** Profiles read by a list are remembered. */
  remember(school: School): void;
}

export function schoolReads(store: MilestoneStore, programs: ProgramResolver): SchoolReads {
  /**
   * Profiles are kept in memory for the reads that need only the profile; an edit or an archive here
   * replaces the entry at once, and every list and school read refreshes it from the table.
   */
  const cache = new Map<string, School>();
  const remember = (school: School): void => {
    if (cache.size >= 20_000) cache.delete(cache.keys().next().value!);
    cache.set(school.id, school);
  };
  async function loadSchool(schoolId: string): Promise<SchoolRecord> {
    const record = await store.getSchool(schoolId);
    if (!record) throw notFound(`No school ${schoolId}.`);
    remember(record.school);
    return record;
  }
  async function pages<T>(read: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await read(cursor);
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
  return {
    loadSchool,
    remember,
    async profile(schoolId) {
      return cache.get(schoolId) ?? (await loadSchool(schoolId)).school;
    },
    async profiles(ids) {
      const missing = [...new Set(ids)].filter((id) => !cache.has(id));
      if (missing.length > 0) for (const record of await store.getSchools(missing, [])) if (record) remember(record.school);
      return new Map(ids.flatMap((id) => (cache.has(id) ? [[id, cache.get(id)!] as const] : [])));
    },
    async allSchools(district) {
      const out = await pages((cursor) =>
        district ? store.listSchoolsByDistrict(district, { limit: 1000, cursor }) : store.listAllSchools({ limit: 1000, cursor }),
      );
      for (const s of out) remember(s);
      return out;
    },
    async allSummaries(district) {
      // Each school's lines are those of the program version it follows.
      const milestones = milestonesOfVersion(await programs.catalog());
      const out = await pages((cursor) =>
        store.listSchoolSummaries({ ...(district ? { district } : {}), milestones, limit: 1000, cursor }),
      );
      for (const s of out) remember(s.school);
      return out;
    },
  };
}

/** 400 unless some published version of the program has the milestone (`field`: where the request named it). */
export function assertKnownMilestone(catalog: ProgramCatalog, key: string, field: string): void {
  if (catalog.definingVersion(key) === null)
    throw validationProblem([{ field, reason: `not a milestone of the program (${catalog.keys.join(', ')})` }]);
}

/** What a route module is built from. */
export interface RouteContext {
  deps: ApiDeps;
  /** Every milestone command goes through it. */
  commands: CommandService;
  reads: SchoolReads;
  /** The program each school follows. */
  programs: ProgramResolver;
  log: Log;
  now(): Date;
}

/** A refusal of the domain's rules as a problem: 403, 409 (`not-allowed`), or 400 with its fields under `prefix`. */
export function rejectionProblem(rejection: Rejection, prefix = 'body.'): ApiProblem {
  const errors = rejection.issues.map((i) => ({ field: `${prefix}${i.field}`, reason: i.message }));
  switch (rejection.code) {
    case 'forbidden':
      return forbidden(rejection.message);
    case 'not-allowed':
    case 'dependency':
      return new ApiProblem(409, rejection.message, {
        type: PROBLEM_TYPES.conflict,
        code: rejection.code,
        ...(errors.length ? { errors } : {}),
      });
    case 'not-found':
      return notFound(rejection.message);
    default:
      return validationProblem(errors.length ? errors : [{ field: 'body', reason: rejection.message }], rejection.message);
  }
}

/** Throws the problem of a refusal (a `canRead`, `mayAdminister` or rule check that returned one). */
export function refuse(rejection: Rejection | null, prefix?: string): void {
  if (rejection) throw rejectionProblem(rejection, prefix);
}

/** The body of a CSV upload: 415 unless it is sent as text/csv. */
export async function csvBody(req: { header(name: string): string | undefined; text(): Promise<string> }): Promise<string> {
  const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/csv') {
    throw new ApiProblem(415, 'Send the file as text/csv.', {
      type: PROBLEM_TYPES.unsupportedMediaType,
      errors: [{ field: 'header.content-type', reason: 'must be text/csv' }],
    });
  }
  return req.text();
}

/** Every problem of a CSV file, each with its line and column: nothing was written. */
export function csvProblem(errors: readonly CsvImportError[], what = 'imported'): ApiProblem {
  return validationProblem(
    errors.map((e) => ({
      field: e.column ? `line ${e.line}, column ${e.column}` : `line ${e.line}`,
      reason: e.reason,
      line: e.line,
      ...(e.column ? { column: e.column } : {}),
    })),
    `The file has ${errors.length} problem(s); nothing was ${what}.`,
  );
}
