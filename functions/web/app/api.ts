/**
 * The dashboard's HTTP client: relative `api/…` URLs (so the page works under any path prefix), the
 * signed-in user's bearer token, every JSON answer validated with the API's own zod schemas, and
 * `application/problem+json` errors turned into `ApiError` with their field details.
 */
import type { z } from 'zod';
import {
  AssignmentList,
  CommandResult,
  HistoryPage,
  Job,
  Me,
  NotificationList,
  Problem,
  ForecastReport,
  ProgressReport,
  Scorecards,
  SchoolDetail,
  SchoolList,
  type FieldError,
} from '../../../shared/api/schemas.js';
import { MigrationPreview, ProgramVersionList, ProgramVersionView, type MigrationScope } from '../../../shared/api/program-versions.js';
import type { CommandType, Role } from '../../../shared/program/model.js';
import type { GroupBy } from '../../../shared/domain/equal-conditions.js';
import type { Json } from '../../../shared/program/versions.js';
import { DirectoryUser, InvitedUser, UserList, type Invitation } from '../../../shared/users/model.js';
import { session } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fieldErrors: readonly FieldError[],
    readonly code: string | undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
  }
}

/** Status 0: the request never got an HTTP answer. */
export const NETWORK_ERROR = 0;

function url(path: string, query?: Record<string, string | number | boolean | undefined>): string {
  const u = new URL(`api/${path}`, document.baseURI);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
  return u.toString();
}

export async function request<S extends z.ZodType>(
  schema: S,
  path: string,
  init: {
    method?: string;
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    /** A CSV file's text, sent as is (instead of a JSON body). */
    csv?: string;
    headers?: Record<string, string>;
    token?: string;
  } = {},
): Promise<z.infer<S>> {
  const token = init.token ?? session.token();
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.csv !== undefined) headers['Content-Type'] = 'text/csv';
  let response: Response;
  try {
    response = await fetch(url(path, init.query), {
      method: init.method ?? 'GET',
      headers,
      body: init.csv ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
  } catch (e) {
    throw new ApiError(NETWORK_ERROR, 'network', (e as Error).message, [], undefined);
  }
  const text = await response.text();
  const json: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = Problem.safeParse(json);
    const error = problem.success
      ? new ApiError(problem.data.status, problem.data.title, problem.data.detail, problem.data.errors ?? [], problem.data.code)
      : new ApiError(response.status, response.statusText || 'HTTP error', text.slice(0, 300) || undefined, [], undefined);
    // A token the API no longer accepts ends the session (the app shows the sign-in page).
    if (response.status === 401 && !init.token) session.expire();
    throw error;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'unexpected response',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      [],
      undefined,
    );
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface SchoolFilter {
  district?: string;
  milestone?: string;
  status?: string;
  overdue?: boolean;
  q?: string;
}

export const api = {
  /** Who the token belongs to; with an explicit token, checks it without touching the session. */
  me: (token?: string) => request(Me, 'me', token ? { token } : {}),
  assignments: (cursor?: string) => request(AssignmentList, 'me/assignments', { query: { cursor } }),
  notifications: (cursor?: string) => request(NotificationList, 'notifications', { query: { cursor } }),
  schools: (filter: SchoolFilter, cursor?: string, limit = 25) =>
    request(SchoolList, 'schools', { query: { ...filter, overdue: filter.overdue ? 'true' : undefined, cursor, limit } }),
  school: (id: string) => request(SchoolDetail, `schools/${encodeURIComponent(id)}`),
  history: (id: string, cursor?: string) => request(HistoryPage, `schools/${encodeURIComponent(id)}/history`, { query: { cursor } }),
  progress: (asOf?: string, groupBy?: GroupBy) => request(ProgressReport, 'reports/progress', { query: { asOf, groupBy } }),
  scorecards: () => request(Scorecards, 'reports/contractors'),
  forecast: (weeks?: number, asOf?: string) => request(ForecastReport, 'reports/forecast', { query: { weeks, asOf } }),
  command: (schoolId: string, milestone: string, action: CommandType, body: unknown, version: number) =>
    request(CommandResult, `schools/${encodeURIComponent(schoolId)}/milestones/${encodeURIComponent(milestone)}/${action}`, {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID(), 'If-Match': `"${version}"` },
    }),
  users: (role?: Role) => request(UserList, 'users', { query: { role } }),
  invite: (invitation: Invitation) => request(InvitedUser, 'users', { method: 'POST', body: invitation }),
  setUserEnabled: (username: string, enabled: boolean) =>
    request(DirectoryUser, `users/${encodeURIComponent(username)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' }),
  programVersions: (programId: string) => request(ProgramVersionList, `programs/${encodeURIComponent(programId)}/versions`),
  programVersion: (programId: string, version: number) =>
    request(ProgramVersionView, `programs/${encodeURIComponent(programId)}/versions/${version}`),
  draftProgramVersion: (programId: string, definition: Json) =>
    request(ProgramVersionView, `programs/${encodeURIComponent(programId)}/versions`, { method: 'POST', body: { definition } }),
  saveProgramDraft: (programId: string, version: number, definition: Json) =>
    request(ProgramVersionView, `programs/${encodeURIComponent(programId)}/versions/${version}`, { method: 'PUT', body: { definition } }),
  publishProgramVersion: (programId: string, version: number) =>
    request(ProgramVersionView, `programs/${encodeURIComponent(programId)}/versions/${version}/publish`, { method: 'POST' }),
  migrationPreview: (programId: string, version: number, scope: MigrationScope) =>
    request(MigrationPreview, `programs/${encodeURIComponent(programId)}/versions/${version}/migration-preview`, {
      method: 'POST',
      body: scope,
    }),
  migrate: (programId: string, version: number, scope: MigrationScope) =>
    request(Job, `programs/${encodeURIComponent(programId)}/versions/${version}/migrations`, { method: 'POST', body: scope }),
  job: (jobId: string) => request(Job, `jobs/${encodeURIComponent(jobId)}`),
};

/** Every page of the school list (for the overview's own computations), 200 at a time. */
export async function allSchools(filter: SchoolFilter = {}): Promise<SchoolList['items']> {
  const items: SchoolList['items'] = [];
  let cursor: string | undefined;
  do {
    const page = await api.schools(filter, cursor, 200);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}
