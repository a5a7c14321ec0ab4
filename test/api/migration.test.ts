/**
 * Migration to version 2 over HTTP on DynamoDB Local and the local Step Functions runtime: version 2 of
 * the reference program (content filtering) is published; the preview of a district names, per school,
 * exactly what the migration then does; the migration job moves the district's schools (the new
 * milestone created, its lifecycle running at the school whose connection is done, the audit event
 * `programVersionChanged`), leaves every other school untouched and loses no history event; the school
 * read shows a school "as of" either version; only program managers preview or migrate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationPreview, ProgramVersionView } from '../../shared/api/program-versions.js';
import { Job, SchoolDetail } from '../../shared/api/schemas.js';
import { REFERENCE_PROGRAM_V2_DATA, REFERENCE_PROGRAM_ID } from '../../shared/programs/index.js';
import { wholeHistory } from '../../shared/store/store.js';
import { attachRequiredDocuments, eventually, settledItems, startApi, todayInOmsk, type ApiFixture } from './helpers.js';

let api: ApiFixture;
const base = `/api/programs/${REFERENCE_PROGRAM_ID}/versions`;

beforeAll(async () => {
  api = await startApi('migration');
});
afterAll(async () => {
  await api?.stop();
});

async function finished(jobId: string): Promise<Job> {
  return eventually(
    async () => {
      const j = Job.parse((await api.request('GET', `/api/jobs/${jobId}`)).json);
      return j.status === 'done' || j.status === 'failed' ? j : undefined;
    },
    `job ${jobId} to finish`,
    60_000,
  );
}

/** Completes the connection of a school through the API (start, submit, sign-off, accept). */
async function connect(schoolId: string, urban: boolean): Promise<void> {
  const m = `/api/schools/${schoolId}/milestones/connection`;
  expect((await api.request('POST', `${m}/start`, { body: { assignee: api.contractorOrg } })).status).toBe(200);
  const evidence = { kind: 'connection', actNumber: 'АКТ-1', actDate: todayInOmsk(), bandwidthMbps: urban ? 120 : 60 };
  await attachRequiredDocuments(api, schoolId, 'connection');
  expect((await api.request('POST', `${m}/submit`, { as: 'contractor', body: { evidence } })).status).toBe(200);
  expect((await api.request('POST', `${m}/signoff`, { as: 'schoolStaff', body: { measuredMbps: urban ? 110 : 55 } })).status).toBe(200);
  expect((await api.request('POST', `${m}/accept`, { body: {} })).status).toBe(200);
}

describe('migration to version 2', () => {
  it('previews exactly, migrates a district, leaves the rest untouched and keeps every history event', { timeout: 120_000 }, async () => {
    const { school } = api;
    const district = school.district;
    const all = (await api.stack.store.listAllSchools({ limit: 1000 })).items;
    const inDistrict = all.filter((s) => s.district === district);
    const others = all.filter((s) => s.district !== district);

    // A running school: its connection done, so content filtering can start as soon as it exists.
    await connect(school.id, school.urban);

    // A draft cannot be migrated to; publish version 2 first.
    const draft = ProgramVersionView.parse((await api.request('POST', base, { body: { definition: REFERENCE_PROGRAM_V2_DATA } })).json);
    expect(draft).toMatchObject({ version: 2, status: 'draft', problems: [] });
    const scope = { scope: { kind: 'district', district } };
    expect((await api.request('POST', `${base}/2/migration-preview`, { body: scope })).status).toBe(409);
    expect((await api.request('POST', `${base}/2/publish`)).status).toBe(200);

    // Only program managers; bad scopes are refused at their field; the preview writes nothing.
    const before = await settledItems(api);
    for (const as of ['coordinator', 'contractor', 'viewer', 'schoolStaff'] as const) {
      expect((await api.request('POST', `${base}/2/migration-preview`, { as, body: scope })).status, as).toBe(403);
      expect((await api.request('POST', `${base}/2/migrations`, { as, body: scope })).status, as).toBe(403);
    }
    const bad = await api.request('POST', `${base}/2/migration-preview`, { body: { scope: { kind: 'district', district: 'nowhere' } } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.json)).toContain('body.scope.district');
    expect((await api.request('POST', `${base}/9/migration-preview`, { body: scope })).status).toBe(404);
    const previewed = await api.request('POST', `${base}/2/migration-preview`, { body: scope });
    expect(previewed.status).toBe(200);
    expect(await api.items()).toEqual(before);
    const preview = MigrationPreview.parse(previewed.json);
    expect(preview.schools.map((s) => s.schoolId).sort()).toEqual(inDistrict.map((s) => s.id).sort());
    for (const s of preview.schools) {
      expect(s).toMatchObject({ from: 1, to: 2, removed: [], moved: [], evidence: [], invalidated: [] });
      expect(s.added).toEqual([{ milestone: 'content-filtering', plannedStart: '2021-01-01', deadline: '2024-09-01' }]);
    }

    const othersBefore = await Promise.all(
      others.map(async (s) => [await api.stack.store.getSchool(s.id), await wholeHistory(api.stack.store, s.id)] as const),
    );
    const historyBefore = await Promise.all(inDistrict.map((s) => wholeHistory(api.stack.store, s.id)));

    const created = await api.request('POST', `${base}/2/migrations`, { body: scope });
    expect(created.status).toBe(202);
    const job = await finished(Job.parse(created.json).id);
    expect(job).toMatchObject({ kind: 'migration', status: 'done', total: inDistrict.length, succeeded: inDistrict.length, failed: 0 });
    expect(job.results.every((r) => r.outcome === 'ok')).toBe(true);

    // What the preview said is what happened, school by school.
    for (const [i, s] of inDistrict.entries()) {
      const record = (await api.stack.store.getSchool(s.id))!;
      expect(record.school.programVersion).toBe(2);
      const p = preview.schools.find((x) => x.schoolId === s.id)!;
      for (const a of p.added)
        expect(record.milestones.find((m) => m.state.key === a.milestone)?.state).toMatchObject({
          plannedStart: a.plannedStart,
          deadline: a.deadline,
        });
      const history = await wholeHistory(api.stack.store, s.id);
      expect(history.slice(0, historyBefore[i]!.length)).toEqual(historyBefore[i]);
      const audit = (await api.stack.store.adminHistory({ type: 'school', id: s.id })).items;
      expect(audit[0]).toMatchObject({ type: 'programVersionChanged', changes: [{ field: 'programVersion', from: 1, to: 2 }] });
    }
    // Schools of other districts: not a byte changed.
    for (const [i, s] of others.entries()) {
      expect([await api.stack.store.getSchool(s.id), await wholeHistory(api.stack.store, s.id)]).toEqual(othersBefore[i]);
    }

    // The connected school's workflow starts content filtering: a running lifecycle waits for the school's evidence.
    const waiting = await eventually(
      async () => {
        const m = await api.stack.store.getMilestone(school.id, 'content-filtering');
        return m?.state.status === 'active' && m.task?.phase === 'submission' ? m : undefined;
      },
      'the content-filtering lifecycle to wait for the submission',
      60_000,
    );
    expect(waiting.state.deadline).toBe('2024-09-01');
    // Overdue since 2024: the lifecycle's next reminder is due (the milestone is in the reminders' index, open and overdue).
    expect(
      SchoolDetail.parse((await api.request('GET', `/api/schools/${school.id}`)).json).milestones.find(
        (m) => m.key === 'content-filtering',
      ),
    ).toMatchObject({ status: 'active', overdue: true });

    // The school read: its own version by default, any published version on request.
    const now2 = SchoolDetail.parse((await api.request('GET', `/api/schools/${school.id}`)).json);
    expect(now2.programVersion).toBe(2);
    expect(now2.milestones.map((m) => m.key)).toContain('content-filtering');
    const asOf1 = SchoolDetail.parse((await api.request('GET', `/api/schools/${school.id}?asOfVersion=1`)).json);
    expect(asOf1.programVersion).toBe(1);
    expect(asOf1.milestones.map((m) => m.key)).not.toContain('content-filtering');
    expect((await api.request('GET', `/api/schools/${school.id}?asOfVersion=7`)).status).toBe(404);

    // The school submits its filter: the evidence rule of version 2.
    const evidence = { kind: 'content-filter', filterName: 'SkyDNS', registryEntry: '4311', enabledOn: todayInOmsk() };
    const submitted = await api.request('POST', `/api/schools/${school.id}/milestones/content-filtering/submit`, {
      as: 'schoolStaff',
      body: { evidence },
    });
    expect(submitted.status).toBe(200);

    // Migrating again changes nothing: every school already follows version 2.
    const again = MigrationPreview.parse((await api.request('POST', `${base}/2/migration-preview`, { body: scope })).json);
    expect(again.schools).toEqual([]);
    expect(again.unchanged.sort()).toEqual(inDistrict.map((s) => s.id).sort());
  });
});
