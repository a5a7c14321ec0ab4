/**
 * Administration over HTTP against the local stack: the contractor register (create, edit, deactivate
 * with the open work reassigned, CSV import all or nothing), a school profile edit that re-plans its open
 * milestones, the update import's dry run, archiving, and the review queue with the school's sign-off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminHistoryPage,
  ContractorView,
  DeactivateResult,
  ProfileResult,
  ReviewQueue,
  SchoolUpdatePreview,
} from '../../shared/api/administration.js';
import { Problem, ProgressReport, SchoolDetail } from '../../shared/api/schemas.js';
import { schoolsToCsv } from '../../shared/region/csv-import.js';
import { attachRequiredDocuments, settledItems, startApi, todayInOmsk, type ApiFixture } from './helpers.js';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi('admin');
});
afterAll(async () => {
  await api?.stop();
});

const contract = (milestone: string, extra: Record<string, unknown> = {}) => ({
  number: `K-${milestone}`,
  date: '2021-01-01',
  milestone,
  endDate: '2030-12-31',
  ...extra,
});

describe('the contractor register', () => {
  it('a manager registers a contractor; bad input is every field at fault, and nothing is written', async () => {
    const before = await api.items();
    const bad = await api.request('POST', '/api/contractors', {
      body: {
        id: 'isp-new',
        name: 'ООО «Новая связь»',
        kind: 'internet-provider',
        districts: ['atlantis'],
        contracts: [contract('equipment'), contract('connection', { endDate: '2020-01-01' })],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const fields = Problem.parse(bad.json).errors!.map((e) => e.field);
    expect(fields).toContain('body.contracts.1.endDate');
    expect(await api.items()).toEqual(before);

    const created = await api.request('POST', '/api/contractors', {
      body: {
        id: 'isp-new',
        name: 'ООО «Новая связь»',
        kind: 'internet-provider',
        districts: [api.school.district],
        emails: ['office@newlink.example.org'],
        contracts: [contract('connection', { schools: [api.school.id] })],
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(ContractorView.parse(created.json).contractor).toMatchObject({ id: 'isp-new', active: true });

    const edited = await api.request('PUT', '/api/contractors/isp-new', {
      body: {
        name: 'ООО «Новая связь — Омск»',
        kind: 'internet-provider',
        districts: [api.school.district],
        contracts: [contract('connection', { schools: [api.school.id] })],
      },
      headers: { 'if-match': '"1"' },
    });
    expect(edited.status).toBe(200);
    const history = AdminHistoryPage.parse((await api.request('GET', '/api/contractors/isp-new/history')).json);
    expect(history.items.map((e) => [e.type, e.version, e.actor.role])).toEqual([
      ['updated', 2, 'program-manager'],
      ['created', 1, 'program-manager'],
    ]);
    expect(history.items[0]!.changes.map((c) => c.field)).toEqual(['name', 'emails']);
  });

  it('deactivation is refused with the open work, and goes through with the work reassigned in the same request', async () => {
    const base = `/api/schools/${api.school.id}/milestones/connection`;
    expect((await api.request('POST', `${base}/start`, { body: { assignee: 'isp-new' } })).status).toBe(200);
    const refused = await api.request('POST', '/api/contractors/isp-new/deactivate', { body: { reason: 'Договор расторгнут' } });
    expect(refused.status).toBe(409);
    expect(Problem.parse(refused.json).errors!.map((e) => e.reason)).toEqual([`${api.school.id}/connection`]);
    const wrong = await api.request('POST', '/api/contractors/isp-new/deactivate', {
      body: { reason: 'Договор расторгнут', reassignRestTo: 'isp-new' },
    });
    expect(wrong.status).toBe(400);

    const done = await api.request('POST', '/api/contractors/isp-new/deactivate', {
      body: { reason: 'Договор расторгнут', reassignRestTo: api.contractorOrg },
      headers: { 'if-match': '"2"' },
    });
    expect(done.status).toBe(200);
    const result = DeactivateResult.parse(done.json);
    expect(result.contractor).toMatchObject({ version: 3, contractor: { active: false } });
    expect(result.reassigned).toEqual([{ schoolId: api.school.id, milestone: 'connection', contractor: api.contractorOrg }]);
    expect((await api.stack.store.getMilestone(api.school.id, 'connection'))!.state.assignee).toBe(api.contractorOrg);
    // An inactive contractor is never assigned again.
    const back = await api.request('POST', `${base}/reassign`, { body: { contractor: 'isp-new' } });
    expect(back.status).toBe(400);
    expect(Problem.parse(back.json).detail).toContain('deactivated');
  });

  it('imports contractors from CSV all or nothing', async () => {
    const header =
      'id,name,kind,districts,emails,contract_number,contract_date,contract_milestone,contract_districts,contract_schools,contract_end';
    const bad = [
      header,
      'sup-a,Поставщик А,equipment-supplier,,a@example.org,П-1,2021-01-01,equipment,,,2024-12-31',
      'sup-b,Поставщик Б,equipment-supplier,,,П-2,2021-01-01,connection,,,2024-12-31',
    ].join('\n');
    // The workflow hears of the commands above after their answers (from the table's stream): let it settle.
    const before = await settledItems(api);
    const refused = await api.request('POST', '/api/imports/contractors', { raw: bad, contentType: 'text/csv' });
    expect(refused.status).toBe(400);
    expect(Problem.parse(refused.json).errors!.map((e) => e.line)).toEqual([3]);
    expect(await api.items()).toEqual(before);
    const good = [
      header,
      'sup-a,Поставщик А,equipment-supplier,,a@example.org,П-1,2021-01-01,equipment,,,2024-12-31',
      'sup-a,Поставщик А,equipment-supplier,,a@example.org,П-1Б,2025-01-01,equipment,,,2026-12-31',
    ].join('\n');
    const imported = await api.request('POST', '/api/imports/contractors', { raw: good, contentType: 'text/csv' });
    expect(imported.status).toBe(201);
    expect(
      ContractorView.parse((await api.request('GET', '/api/contractors/sup-a')).json).contractor.contracts.map((c) => c.number),
    ).toEqual(['П-1', 'П-1Б']);
  });
});

describe('school profiles', () => {
  it('an edit at the read version re-plans the open milestones; an old version is a 409', async () => {
    const all = (await api.stack.store.listAllSchools({ limit: 100 })).items;
    const s = all.find((x) => x.cohortYear === 2023 && x.id !== api.school.id)!;
    const read = await api.request('GET', `/api/schools/${s.id}`);
    const etag = read.headers.get('etag')!;
    expect(SchoolDetail.parse(read.json).version).toBe(0);
    const edited = await api.request('PATCH', `/api/schools/${s.id}`, {
      body: { cohortYear: 2024, teachersToTrain: s.teachersToTrain + 2 },
      headers: { 'if-match': etag },
    });
    expect(edited.status).toBe(200);
    const result = ProfileResult.parse(edited.json);
    expect(result.changes.map((c) => c.field)).toEqual(['cohortYear', 'teachersToTrain']);
    expect(result.milestones.find((m) => m.key === 'equipment')).toMatchObject({ deadline: '2024-12-01', plannedStart: '2024-01-01' });
    expect(edited.headers.get('etag')).toBe('"1"');
    const stale = await api.request('PATCH', `/api/schools/${s.id}`, { body: { name: 'Другое имя' }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(409);
    const badDistrict = await api.request('PATCH', `/api/schools/${s.id}`, {
      body: { district: 'atlantis' },
      headers: { 'if-match': '"1"' },
    });
    expect(badDistrict.status).toBe(400);
    const empty = await api.request('PATCH', `/api/schools/${s.id}`, { body: {}, headers: { 'if-match': '"1"' } });
    expect(empty.status).toBe(400);
    expect(Problem.parse(empty.json).errors?.[0]?.reason).toContain('at least one field');
    const history = AdminHistoryPage.parse((await api.request('GET', `/api/schools/${s.id}/profile-history`)).json);
    expect(history.items).toHaveLength(1);
    const events = (await api.stack.store.history(s.id)).items.filter((e) => e.type === 'replanned').map((e) => e.milestone);
    expect(events.sort()).toEqual(['equipment', 'onboarding', 'training']);
  });

  it('the update import shows the changes row by row in a dry run and writes nothing until asked', async () => {
    const all = (await api.stack.store.listAllSchools({ limit: 100 })).items.filter((x) => x.id !== api.school.id && !x.archived);
    const [a, b] = [all[5]!, all[6]!];
    const csv = schoolsToCsv([{ ...a, teachersToTrain: a.teachersToTrain + 1 }, b]);
    // Earlier tests' notifications are still being delivered in the background: compare once they settle.
    const before = await settledItems(api);
    const dry = await api.request('POST', '/api/imports/schools/updates', { raw: csv, contentType: 'text/csv' });
    expect(dry.status).toBe(200);
    const preview = SchoolUpdatePreview.parse(dry.json);
    expect(preview).toMatchObject({ dryRun: true, updated: 0 });
    expect(preview.rows).toEqual([
      { line: 2, schoolId: a.id, changes: [{ field: 'teachersToTrain', from: a.teachersToTrain, to: a.teachersToTrain + 1 }], replans: [] },
    ]);
    expect(await api.items()).toEqual(before);
    const applied = SchoolUpdatePreview.parse(
      (await api.request('POST', '/api/imports/schools/updates?dryRun=false', { raw: csv, contentType: 'text/csv' })).json,
    );
    expect(applied.updated).toBe(1);
    expect((await api.stack.store.getSchool(a.id))!.school.teachersToTrain).toBe(a.teachersToTrain + 1);
  });

  it('archiving keeps the history, waives the open work and leaves the report from that date', async () => {
    const all = (await api.stack.store.listAllSchools({ limit: 100 })).items;
    const s = all.filter((x) => x.id !== api.school.id && !x.archived).at(-1)!;
    const reportBefore = ProgressReport.parse((await api.request('GET', `/api/reports/progress?asOf=${todayInOmsk()}`)).json);
    const archived = await api.request('POST', `/api/schools/${s.id}/archive`, {
      body: { on: todayInOmsk(), reason: 'merged', mergedInto: api.school.id },
    });
    expect(archived.status).toBe(200);
    const result = ProfileResult.parse(archived.json);
    expect(result.school.archived).toEqual({ on: todayInOmsk(), reason: 'merged', mergedInto: api.school.id });
    expect(result.milestones.every((m) => m.status === 'waived')).toBe(true);
    expect((await api.request('PATCH', `/api/schools/${s.id}`, { body: { name: 'x' } })).status).toBe(409);
    const reportAfter = ProgressReport.parse((await api.request('GET', `/api/reports/progress?asOf=${todayInOmsk()}`)).json);
    const row = (r: typeof reportBefore) => r.rows.find((x) => x.district === s.district)!.schools;
    expect(row(reportAfter)).toBe(row(reportBefore) - 1);
    expect((await api.request('GET', `/api/schools/${s.id}/history`)).status).toBe(200);
  });
});

describe('the review queue', () => {
  it('a submission waits for the school staff first, then for the manager', async () => {
    const base = `/api/schools/${api.school.id}/milestones/connection`;
    const evidence = { kind: 'connection', actNumber: 'АКТ-5', actDate: todayInOmsk(), bandwidthMbps: 200 };
    await attachRequiredDocuments(api, api.school.id, 'connection');
    expect((await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence } })).status).toBe(200);
    const staffQueue = ReviewQueue.parse((await api.request('GET', '/api/review-queue', { as: 'schoolStaff' })).json);
    expect(staffQueue.items.map((i) => [i.schoolId, i.milestone, i.waitingFor])).toEqual([[api.school.id, 'connection', 'school-staff']]);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue')).json).items).toEqual([]);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue', { as: 'otherSchoolStaff' })).json).items).toEqual([]);

    expect((await api.request('POST', `${base}/signoff`, { as: 'schoolStaff', body: { measuredMbps: 150 } })).status).toBe(200);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue', { as: 'schoolStaff' })).json).items).toEqual([]);
    const managerQueue = ReviewQueue.parse((await api.request('GET', '/api/review-queue')).json);
    expect(managerQueue.items.map((i) => [i.schoolId, i.waitingFor])).toEqual([[api.school.id, 'acceptance']]);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue', { as: 'coordinator' })).json).items).toHaveLength(1);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue', { as: 'otherCoordinator' })).json).items).toEqual([]);
    expect((await api.request('POST', `${base}/accept`, { body: {} })).status).toBe(200);
    expect(ReviewQueue.parse((await api.request('GET', '/api/review-queue')).json).items).toEqual([]);
  });
});
