/**
 * A region brought to life from an empty deployment, the way its people do it: an empty table, no demo
 * and no seeding; `npm run admin -- create-manager` makes the first program manager; from then on only
 * the HTTP API, with the ID tokens each person gets from the sign-in pages (authorization code with
 * PKCE against the local user directory). The manager invites a coordinator and the contractors' users,
 * registers the contractors with their contracts and imports the schools from CSV; the coordinator
 * invites the school's staff; the school's workflow assigns the work to the contractors by their
 * contracts; and one school goes through all four milestones with the contractors', the school's and the
 * manager's own tokens, every document uploaded through the presigned POST and confirmed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main as admin } from '../../infra/admin.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { ContractorList, ContractorView } from '../../shared/api/administration.js';
import { CommandResult, Job, ProgressReport, SchoolDetail, SchoolList } from '../../shared/api/schemas.js';
import { InvitedUser } from '../../shared/users/model.js';
import { attachRequiredDocuments, eventually, httpClient, todayInOmsk, type ApiResponse, type RequestOptions } from '../api/helpers.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { signInThroughPages } from '../support/sign-in.js';

let stack: LocalStack;
let dataDir: string;
let request: (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'region-'));
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `region-${Date.now()}`,
    seed: false,
    stateFile: path.join(dataDir, 'local-stack.json'),
  });
  request = httpClient(stack.url);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Asks the API as `token`, and fails with the answer unless it is `status`. */
async function call(token: string, method: string, url: string, status: number, options: RequestOptions = {}): Promise<any> {
  const res = await request(method, url, { ...options, token });
  expect(res.status, `${method} ${url}: ${res.text}`).toBe(status);
  return res.json;
}

/** A person's first sign-in: the temporary password from the invitation, then their own. */
async function firstSignIn(email: string, temporaryPassword: string): Promise<string> {
  return signInThroughPages(stack.url, email, temporaryPassword, { newPassword: `Own-${email.split('@')[0]}-1!` });
}

async function invite(by: string, body: Record<string, unknown>): Promise<string> {
  const invited = InvitedUser.parse(await call(by, 'POST', '/api/users', 201, { body }));
  expect(invited.user).toMatchObject({ email: body.email, role: body.role, status: 'invited' });
  return firstSignIn(invited.user.email, invited.temporaryPassword!);
}

const CITY = 'omsk-city';
const RURAL = 'tarsky';
const SCHOOL = 'sch-0101';
const SCHOOLS_CSV = [
  'id;name;district;locality;urban;cohort_year;teachers_to_train;students;kit_teacher_laptop;kit_student_laptop;kit_mfp;kit_interactive_panel;kit_network_equipment',
  `${SCHOOL};МБОУ «Средняя общеобразовательная школа № 101»;${CITY};Омск;true;2022;12;640;12;30;2;2;1`,
  'sch-0102;МБОУ «Гимназия № 102»;omsk-city;Омск;true;2023;20;900;20;45;2;3;2',
  `sch-0201;МКОУ «Тарская СОШ № 1»;${RURAL};Тара;false;2024;8;210;8;15;1;1;1`,
].join('\n');

const contract = (number: string, milestone: string) => ({ number, date: '2021-01-01', milestone, endDate: '2030-12-31' });

it('from an empty table to a school with every milestone done, through the API alone', async () => {
  // An empty deployment: the table holds no school, no contractor, no user.
  expect((await stack.store.listAllSchools({ limit: 1 })).items).toEqual([]);
  expect(await stack.store.listContractors()).toEqual([]);

  // 1. `npm run admin -- create-manager` prints the first manager's temporary password once.
  const printed: string[] = [];
  await admin(['create-manager', '--email', 'manager@region.example.org', '--name', 'Ирина Руководитель', '--data', dataDir], (l) =>
    printed.push(l),
  );
  const password = /temporary password[^:]*: (\S+)/.exec(printed.join('\n'))?.[1];
  expect(password, printed.join('\n')).toBeDefined();
  const manager = await firstSignIn('manager@region.example.org', password!);
  expect(await call(manager, 'GET', '/api/me', 200)).toMatchObject({ role: 'program-manager' });
  expect(SchoolList.parse(await call(manager, 'GET', '/api/schools', 200)).items).toEqual([]);
  expect(ContractorList.parse(await call(manager, 'GET', '/api/contractors', 200)).items).toEqual([]);

  // 2. The manager invites the city's coordinator.
  const coordinator = await invite(manager, {
    name: 'Анна Координатор',
    email: 'coordinator@region.example.org',
    role: 'district-coordinator',
    district: CITY,
  });

  // 3. The contractors and their contracts: before any, nobody could be assigned.
  const contractors = [
    { id: 'isp-omsk', name: 'ООО «Омская связь»', kind: 'internet-provider', contracts: [contract('С-1', 'connection')] },
    { id: 'sup-sib', name: 'АО «Сибирские поставки»', kind: 'equipment-supplier', contracts: [contract('П-7', 'equipment')] },
    { id: 'edu-centre', name: 'ЦНППМ Омской области', kind: 'training-provider', contracts: [contract('О-3', 'training')] },
  ];
  for (const c of contractors) {
    const created = ContractorView.parse(
      await call(manager, 'POST', '/api/contractors', 201, {
        body: { ...c, districts: [CITY, RURAL], emails: [`office@${c.id}.example.org`] },
      }),
    );
    expect(created.contractor).toMatchObject({ id: c.id, active: true });
  }
  expect(
    ContractorList.parse(await call(manager, 'GET', '/api/contractors', 200))
      .items.map((v) => v.contractor.id)
      .sort(),
  ).toEqual(['edu-centre', 'isp-omsk', 'sup-sib']);

  // 4. Each contractor's user, invited by the manager, signs in.
  const provider = await invite(manager, { name: 'Олег Связист', email: 'isp@region.example.org', role: 'contractor', org: 'isp-omsk' });
  const supplier = await invite(manager, { name: 'Вера Поставщик', email: 'sup@region.example.org', role: 'contractor', org: 'sup-sib' });
  const trainer = await invite(manager, {
    name: 'Павел Методист',
    email: 'edu@region.example.org',
    role: 'contractor',
    org: 'edu-centre',
  });

  // 5. The schools, from the ministry's CSV: a job that creates each school and starts its workflow.
  const job = Job.parse(await call(manager, 'POST', '/api/imports/schools', 202, { raw: SCHOOLS_CSV, contentType: 'text/csv' }));
  const done = await eventually(async () => {
    const j = Job.parse(await call(manager, 'GET', `/api/jobs/${job.id}`, 200));
    return j.status === 'done' || j.status === 'failed' ? j : undefined;
  }, 'the import to finish');
  expect(done).toMatchObject({ status: 'done', succeeded: 3, failed: 0 });

  // 6. The coordinator invites the school's director (a school of the coordinator's own district).
  const staff = await invite(coordinator, {
    name: 'Мария Директор',
    email: 'director@region.example.org',
    role: 'school-staff',
    school: SCHOOL,
  });
  const detail = SchoolDetail.parse(await call(staff, 'GET', `/api/schools/${SCHOOL}`, 200));
  expect(detail.school).toMatchObject({ id: SCHOOL, district: CITY, urban: true, cohortYear: 2022 });

  // 7. The school's workflow starts its ready milestones and gives each to the contractor its contract names.
  const milestone = async (key: string) =>
    SchoolDetail.parse(await call(manager, 'GET', `/api/schools/${SCHOOL}`, 200)).milestones.find((m) => m.key === key)!;
  const activeWith = (key: string, assignee: string) =>
    eventually(
      async () => {
        const m = await milestone(key);
        return m.status === 'active' && m.assignee === assignee ? m : undefined;
      },
      `${key} to be assigned to ${assignee}`,
      60_000,
    );
  await activeWith('connection', 'isp-omsk');
  await activeWith('equipment', 'sup-sib');
  await activeWith('training', 'edu-centre');
  const today = todayInOmsk();
  // Nobody else's token does the work: the supplier cannot submit the provider's milestone.
  const foreign = { evidence: { kind: 'connection', actNumber: 'X-1', actDate: today, bandwidthMbps: 200 } };
  expect((await request('POST', `/api/schools/${SCHOOL}/milestones/connection/submit`, { token: supplier, body: foreign })).status).toBe(
    403,
  );

  const base = (key: string) => `/api/schools/${SCHOOL}/milestones/${key}`;
  const submit = async (key: string, token: string, evidence: Record<string, unknown>) => {
    await attachRequiredDocuments({ request }, SCHOOL, key, { token });
    const m = CommandResult.parse(
      await call(token, 'POST', `${base(key)}/submit`, 200, { body: { evidence: { kind: key, actDate: today, ...evidence } } }),
    ).milestone;
    expect(m.status).toBe('submitted');
  };
  const accept = async (key: string) => {
    const m = CommandResult.parse(await call(manager, 'POST', `${base(key)}/accept`, 200, { body: { note: 'Принято' } })).milestone;
    expect(m.status).toBe('completed');
  };

  // Connection: the provider submits with the act and the speed test; the school confirms the speed it
  // measured; only then does the manager accept (an early accept waits for the school: 409).
  await submit('connection', provider, { actNumber: 'АКТ-101-1', bandwidthMbps: 200 });
  expect((await request('POST', `${base('connection')}/accept`, { token: manager, body: {} })).status).toBe(409);
  await call(staff, 'POST', `${base('connection')}/signoff`, 200, { body: { measuredMbps: 180, note: 'Замер в кабинете информатики' } });
  await accept('connection');

  // Equipment: the supplier delivers, the school signs for it, the manager accepts.
  await submit('equipment', supplier, {
    actNumber: 'ТН-101',
    items: [
      { item: 'teacher-laptop', quantity: 12 },
      { item: 'student-laptop', quantity: 30 },
      { item: 'mfp', quantity: 2 },
      { item: 'interactive-panel', quantity: 2 },
      { item: 'network-equipment', quantity: 1 },
    ],
  });
  await call(staff, 'POST', `${base('equipment')}/signoff`, 200, { body: { note: 'Оборудование получено' } });
  await accept('equipment');

  // Training: the training provider reports the teachers it trained; the manager accepts.
  await submit('training', trainer, { actNumber: 'О-101', teachersTrained: 12 });
  await accept('training');

  // Onboarding needs connection and equipment: the workflow starts it now, as the school's own work.
  await activeWith('onboarding', SCHOOL);
  await submit('onboarding', staff, { actNumber: 'ФП-101', teacherAccounts: 40, studentAccounts: 640 });
  await accept('onboarding');

  const final = SchoolDetail.parse(await call(staff, 'GET', `/api/schools/${SCHOOL}`, 200));
  expect(final.milestones.map((m) => [m.key, m.status])).toEqual([
    ['connection', 'completed'],
    ['equipment', 'completed'],
    ['training', 'completed'],
    ['onboarding', 'completed'],
  ]);
  // Every step is in the school's audit trail with the person who took it.
  const history = (await call(manager, 'GET', `/api/schools/${SCHOOL}/history?limit=200`, 200)) as {
    items: { type: string; actor: { role: string } }[];
  };
  const byRole = (type: string) => history.items.filter((e) => e.type === type).map((e) => e.actor.role);
  expect(byRole('submitted').sort()).toEqual(['contractor', 'contractor', 'contractor', 'school-staff']);
  expect(byRole('signed-off')).toEqual(['school-staff', 'school-staff']);
  expect(byRole('accepted')).toEqual(['program-manager', 'program-manager', 'program-manager', 'program-manager']);
  // And the region's report counts it.
  const report = ProgressReport.parse(await call(manager, 'GET', `/api/reports/progress?asOf=${today}`, 200));
  const city = report.rows.find((r) => r.district === CITY)!;
  expect(city.schools).toBe(2);
});
