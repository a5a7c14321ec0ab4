/**
 * For the API tests: the local stack started in-process on a free port, against the run's DynamoDB
 * Local with a table of the test file's own, plus tokens for every kind of caller and a small HTTP
 * client. Everything goes over real HTTP to the local gateway, which calls the Lambda handler.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, generateKeyPair } from 'jose';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { cognitoEndpoint, directoryToken, emulatorSigningKey } from '../support/directory.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.js';
import type { School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import {
  uploadAs,
  uploadRequiredDocumentsAs,
  type PostAs,
  type UploadFile,
  type UploadResult as UploadResultOf,
} from '../support/uploads.js';

export type Caller =
  | 'manager'
  | 'coordinator'
  | 'otherCoordinator'
  | 'contractor'
  | 'otherContractor'
  | 'viewer'
  | 'schoolStaff'
  | 'otherSchoolStaff'
  | 'none'
  | 'expired'
  | 'foreignKey';

export const CALLERS: readonly Caller[] = [
  'manager',
  'coordinator',
  'otherCoordinator',
  'contractor',
  'otherContractor',
  'viewer',
  'schoolStaff',
  'otherSchoolStaff',
  'none',
  'expired',
  'foreignKey',
];

export interface ApiFixture {
  stack: LocalStack;
  /** The school the role tests look at, its district and its connection contractor. */
  school: School;
  contractorOrg: string;
  otherOrg: string;
  otherDistrict: string;
  /** A school of another district (its staff are `otherSchoolStaff`). */
  otherSchool: School;
  tokens: Record<Caller, string | null>;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Every item of the table, sorted by key (to show that nothing was written). */
  items(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  as?: Caller;
  token?: string | null;
  body?: unknown;
  /** Sent as is (with `contentType`), instead of JSON. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function startApi(label: string, options: Partial<LocalStackOptions> = {}): Promise<ApiFixture> {
  const stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `api-${label}-${randomBytes(3).toString('hex')}`,
    seed: { seed: 1, schools: 40 },
    startWorkflows: false,
    ...options,
  });
  try {
    const all = (await stack.store.listAllSchools({ limit: 1000 })).items;
    const contractors = await stack.store.listContractors();
    // A school whose district has a second district to compare with, and two internet providers for it.
    const school =
      all.find(
        (s) =>
          contractors.filter((c) => c.kind === 'internet-provider' && (c.districts.length === 0 || c.districts.includes(s.district)))
            .length >= 2,
      ) ?? all[0]!;
    const providers = contractors.filter(
      (c) => c.kind === 'internet-provider' && (c.districts.length === 0 || c.districts.includes(school.district)),
    );
    const otherSchool = all.find((s) => s.district !== school.district)!;
    const otherDistrict = otherSchool.district;
    const contractorOrg = providers[0]!.id;
    // Another internet provider: it holds no milestone of the school (the connection goes to the first).
    const otherOrg = providers[1]!.id;

    const foreign = await generateKeyPair('RS256');
    const manager = await stack.token({ role: 'program-manager', sub: 'manager-1' });
    const tokens: Record<Caller, string | null> = {
      manager,
      coordinator: await stack.token({ role: 'district-coordinator', sub: 'coordinator-1', district: school.district }),
      otherCoordinator: await stack.token({ role: 'district-coordinator', sub: 'coordinator-2', district: otherDistrict }),
      contractor: await stack.token({ role: 'contractor', sub: 'contractor-1', org: contractorOrg }),
      otherContractor: await stack.token({ role: 'contractor', sub: 'contractor-2', org: otherOrg }),
      viewer: await stack.token({ role: 'viewer', sub: 'viewer-1' }),
      schoolStaff: await stack.token({ role: 'school-staff', sub: 'director-1', school: school.id }),
      otherSchoolStaff: await stack.token({ role: 'school-staff', sub: 'director-2', school: otherSchool.id }),
      none: null,
      // The manager's claims, signed with the directory's own key, expired two minutes ago.
      expired: await directoryToken(
        stack.directory,
        { 'cognito:groups': ['program-manager'] },
        { sub: decodeJwt(manager).sub!, expiresAt: Math.floor(Date.now() / 1000) - 120 },
      ),
      // Same claims, same issuer and audience, signed by a key the directory never published.
      foreignKey: await directoryToken(
        stack.directory,
        { 'cognito:groups': ['program-manager'] },
        { sub: decodeJwt(manager).sub!, key: { key: foreign.privateKey, kid: (await emulatorSigningKey()).kid } },
      ),
    };

    const request = httpClient(stack.url, (as) => tokens[as ?? 'manager']);

    const items = async (): Promise<string[]> => {
      const out: string[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await stack.dynamodb.send(
          new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        for (const item of page.Items ?? [])
          out.push(JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))));
        start = page.LastEvaluatedKey;
      } while (start);
      return out.sort();
    };

    return { stack, school, contractorOrg, otherOrg, otherDistrict, otherSchool, tokens, request, items, stop: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** A small HTTP client of the API at `baseUrl`: JSON or raw bodies, the caller's token (or `token`) as a bearer. */
export function httpClient(
  baseUrl: string,
  tokenOf: (as: Caller | undefined) => string | null = () => null,
): (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse> {
  return async (method, path, o = {}) => {
    const token = o.token !== undefined ? o.token : tokenOf(o.as);
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers };
    let body: string | undefined;
    if (o.raw !== undefined) {
      body = o.raw;
      if (o.contentType) headers['content-type'] = o.contentType;
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Today in Omsk, as the API's decider sees it (YYYY-MM-DD). */
export function todayInOmsk(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Omsk', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export type { UploadFile } from '../support/uploads.js';
export type UploadResult = UploadResultOf<ApiResponse>;

/** The API's POST as one of the fixture's callers, or with a token of its own. */
function postAs(api: Pick<ApiFixture, 'request'>, as: Caller | { token: string }): PostAs<ApiResponse> {
  const who = typeof as === 'string' ? { as } : { token: as.token };
  return (path, body) => api.request('POST', path, { ...who, ...(body !== undefined ? { body } : {}) });
}

/**
 * Uploads one document the way the dashboard does: ask the API for a presigned POST, send the form
 * straight to the S3 server, confirm with the API.
 */
export function uploadDocument(
  api: Pick<ApiFixture, 'request'>,
  schoolId: string,
  milestone: string,
  type: string,
  file: UploadFile,
  as: Caller | { token: string } = 'contractor',
): Promise<UploadResult> {
  return uploadAs(postAs(api, as), schoolId, milestone, type, file);
}

/** Uploads a generated document of each required type of the milestone (what a submission needs). */
export function attachRequiredDocuments(
  api: Pick<ApiFixture, 'request'>,
  schoolId: string,
  milestone: string,
  as: Caller | { token: string } = 'contractor',
): Promise<void> {
  return uploadRequiredDocumentsAs(
    postAs(api, as),
    REFERENCE_PROGRAM.milestones.find((m) => m.key === milestone)!,
    schoolId,
  );
}

/** The table's items once the outbox's deliveries of earlier commands have settled (two reads 500 ms apart agree). */
export async function settledItems(api: ApiFixture): Promise<string[]> {
  let last = await api.items();
  return eventually(async () => {
    await new Promise((r) => setTimeout(r, 500));
    const now = await api.items();
    const same = JSON.stringify(now) === JSON.stringify(last);
    last = now;
    return same ? now : undefined;
  }, 'the outbox to settle');
}
