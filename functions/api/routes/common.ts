/**
 * What every route module of the API shares: the app's environment (the signed-in principal), its
 * dependencies, the OpenAPI fragments every route repeats, the problems routes throw, and the school
 * reads (with the profile cache) that several resources need.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { PROBLEM_CONTENT_TYPE, Problem } from '../../../shared/api/schemas.js';
import type { Clock } from '../../../shared/clock.js';
import type { DocumentBucket } from '../../../shared/documents/storage.js';
import type { District, ProgramDefinition, School } from '../../../shared/program/model.js';
import type { MilestoneStore, Page, SchoolRecord, SchoolSummary } from '../../../shared/store/store.js';
import type { WorkflowSignal } from '../../common/workflow-signal.js';
import type { WebRequest, WebResponse } from '../../web/serve.js';
import type { Principal } from '../auth.js';
import type { JobQueue, JobStore } from '../jobs.js';
import { ApiProblem, PROBLEM_TYPES, fieldErrors, validationProblem, type ValidationTarget } from '../problem.js';
import type { RateLimit } from '../rate-limit.js';

export type Log = (level: 'info' | 'warn' | 'error', message: string, data: Record<string, unknown>) => void;

export interface ApiDeps {
  store: MilestoneStore;
  program: ProgramDefinition;
  districts: readonly District[];
  clock: Clock;
  authenticate(authorization: string | undefined): Promise<Principal>;
  signal: WorkflowSignal;
  jobs: JobStore;
  /** Runs bulk jobs asynchronously; without one, bulk actions answer 503. */
  queue: JobQueue | null;
  /** Serves the dashboard's static files (`/`, `/assets/*`); null for paths that are not its. */
  web?: (request: WebRequest) => WebResponse | null;
  rateLimit?: RateLimit | null;
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
  return new ApiProblem(413, limit ? `The body is larger than ${limit} bytes.` : 'The body is too large.', { type: PROBLEM_TYPES.tooLarge });
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
    if (t.type === 'application/json' || t.type === 'application/*' || t.type === '*/*' || t.type === 'application/problem+json') return 'json';
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

export function schoolReads(store: MilestoneStore, program: ProgramDefinition): SchoolReads {
  const milestoneKeys = program.milestones.map((m) => m.key);
  /** School profiles never change once imported (an import refuses known ids): they are kept in memory. */
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
      const out = await pages((cursor) => (district ? store.listSchoolsByDistrict(district, { limit: 1000, cursor }) : store.listAllSchools({ limit: 1000, cursor })));
      for (const s of out) remember(s);
      return out;
    },
    async allSummaries(district) {
      const out = await pages((cursor) => store.listSchoolSummaries({ ...(district ? { district } : {}), milestones: milestoneKeys, limit: 1000, cursor }));
      for (const s of out) remember(s.school);
      return out;
    },
  };
}

/** What a route module is built from. */
export interface RouteContext {
  deps: ApiDeps;
  reads: SchoolReads;
  log: Log;
  now(): Date;
}
