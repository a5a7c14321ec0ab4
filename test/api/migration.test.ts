/**
 * Migration to version 2 over HTTP on DynamoDB Local and the local Step Functions runtime: version 2 of
 * the reference program (content filtering) is published; the preview of a district names, per school,
 * exactly what the migration then does; the migration job moves the district's schools (the new
 * milestone created, its lifecycle running at the school whose connection is done, the audit event
 * `programVersionChanged`), leaves every other school untouched and loses no history event; the school
 * read shows a school "as of" either version; only program managers preview or migrate. Afterwards every
 * consumer reads each school's own version: the schools list and its milestone filter, the review queue,
 * bulk actions, archiving, the update import, a new school's import (the latest published version), the
 * daily sweep, and the progress report (a milestone of version 2 counts only the schools on version 2).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileResult, ReviewQueue, SchoolUpdatePreview } from '../../shared/api/administration.js';
import { MigrationPreview, ProgramVersionView } from '../../shared/api/program-versions.js';
import { ForecastReport, Job, ProgressReport, SchoolDetail, SchoolList } from '../../shared/api/schemas.js';
import { SystemClock } from '../../shared/clock.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { createProgramResolver, REFERENCE_PROGRAM_V2_DATA, REFERENCE_PROGRAM_ID } from '../../shared/programs/index.js';
import { schoolsToCsv } from '../../shared/region/csv-import.js';
import { wholeHistory } from '../../shared/store/store.js';
import type { DeliveryChannel, OutgoingMessage, SendOutcome } from '../../functions/notifications/channels.js';
import { createSweep } from '../../functions/schedules/daily-sweep.js';
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

  it('every consumer reads the version each school follows', { timeout: 120_000 }, async () => {
    const { school } = api;
    const CF = 'content-filtering';
    // Three more schools, of other districts, move by a list.
    const listed3 = (await api.stack.store.listAllSchools({ limit: 1000 })).items
      .filter((s) => s.programVersion === undefined && s.district !== api.otherDistrict)
      .slice(0, 3);
    const moved = await api.request('POST', `${base}/2/migrations`, {
      body: { scope: { kind: 'schools', schoolIds: listed3.map((s) => s.id) } },
    });
    expect(moved.status).toBe(202);
    expect(await finished(Job.parse(moved.json).id)).toMatchObject({ status: 'done', succeeded: 3 });
    const all = (await api.stack.store.listAllSchools({ limit: 1000 })).items;
    const onV2 = all.filter((s) => s.programVersion === 2);
    const onV1 = all.filter((s) => s.programVersion === undefined);
    expect(onV2.length).toBeGreaterThan(1);
    expect(onV1.length).toBeGreaterThan(0);

    // The list filter knows the milestone of version 2; a v1 school lists its own four milestones only.
    const listed = SchoolList.parse((await api.request('GET', `/api/schools?milestone=${CF}&limit=100`)).json);
    expect(listed.items.map((s) => s.id).sort()).toEqual(onV2.map((s) => s.id).sort());
    const every = SchoolList.parse((await api.request('GET', '/api/schools?limit=100')).json).items;
    expect(every.find((s) => s.id === school.id)!.milestones.map((m) => m.key)).toContain(CF);
    expect(every.find((s) => s.id === onV1[0]!.id)!.milestones.map((m) => m.key)).not.toContain(CF);
    const unknown = await api.request('GET', '/api/schools?milestone=nowhere');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.json)).toContain('query.milestone');

    // The review queue: the school's content-filtering submission waits for the manager's acceptance.
    const queue = ReviewQueue.parse((await api.request('GET', '/api/review-queue')).json);
    expect(queue.items.filter((i) => i.milestone === CF).map((i) => [i.schoolId, i.waitingFor, i.title.en])).toEqual([
      [school.id, 'acceptance', 'Content filtering'],
    ]);

    // Bulk: accepted for a v2 milestone; a v2 school waives it, a v1 school refuses it (not its milestone).
    const [v2School, v1School] = [onV2.find((s) => s.id !== school.id)!, onV1[0]!];
    const bulk = await api.request('POST', '/api/bulk/waive', {
      body: { milestone: CF, filter: { schoolIds: [v2School.id, v1School.id] }, body: { reason: 'Фильтрация на уровне оператора связи' } },
    });
    expect(bulk.status).toBe(202);
    const job = await finished(Job.parse(bulk.json).id);
    expect(Object.fromEntries(job.results.map((r) => [r.schoolId, [r.outcome, r.code ?? null]]))).toEqual({
      [v2School.id]: ['ok', null],
      [v1School.id]: ['rejected', 'not-found'],
    });
    expect((await api.stack.store.getMilestone(v1School.id, CF)) ?? null).toBeNull();

    // The progress report: content filtering's denominator is the schools on version 2, connection's every school.
    const report = ProgressReport.parse((await api.request('GET', `/api/reports/progress?asOf=${todayInOmsk()}`)).json);
    expect(report.milestones).toContain(CF);
    expect(report.total.schools).toBe(all.length);
    expect(report.total.milestones.connection!.schools).toBe(all.length);
    expect(report.total.milestones[CF]).toEqual({
      schools: onV2.length,
      completed: 0,
      waived: 1,
      reached: 1,
      share: Math.round((1 / onV2.length) * 10_000) / 10_000,
    });
    const otherRow = report.rows.find((r) => r.district === api.otherDistrict)!;
    expect(otherRow.milestones[CF]).toMatchObject({ schools: 0, reached: 0, share: 0 });
    expect(otherRow.milestones.connection!.schools).toBe(otherRow.schools);
    // Its target (by 2024-09-01) counts the schools on version 2; today's waiver came after that date.
    expect(report.targets.find((t) => t.milestone === CF)).toMatchObject({ counted: onV2.length, reached: 0, met: false });

    // The forecast: content filtering's target is forecast over the schools on version 2 only (the region and
    // each district), connection's over every school; a district without a v2 school has nobody to count.
    const fc = ForecastReport.parse((await api.request('GET', '/api/reports/forecast')).json);
    const region = (key: string) => fc.rows.find((r) => r.milestone === key && r.district === null);
    expect(region(CF)).toMatchObject({ targetDate: '2024-09-01', targetShare: 1, counted: onV2.length, reached: 1 });
    expect(region(CF)!.open).toBe(onV2.length - 1);
    expect(region('connection')!.counted).toBe(all.length);
    const onV2In = (district: string) => onV2.filter((s) => s.district === district).length;
    for (const row of fc.rows.filter((r) => r.milestone === CF && r.district !== null))
      expect([row.district, row.counted]).toEqual([row.district, onV2In(row.district!)]);
    expect(fc.rows.find((r) => r.milestone === CF && r.district === api.otherDistrict)).toMatchObject({ counted: 0, open: 0 });
    expect(
      region(CF)!
        .holdingBack.map((h) => h.schoolId)
        .every((id) => onV2.some((s) => s.id === id)),
    ).toBe(true);

    // The daily sweep: the overdue content filtering of a v2 school is in its district's digest.
    const sent: OutgoingMessage[] = [];
    const channel: DeliveryChannel = {
      name: 'log',
      async send(message): Promise<SendOutcome> {
        sent.push(message);
        return 'sent';
      },
    };
    const quiet = { logger: new Logger({ serviceName: 'sweep', logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Test' }) };
    // Days ahead (a digest goes once per district and day): the stack's own sweep may have sent today's.
    const sweep = (programs: boolean, days: number) =>
      createSweep({
        store: api.stack.store,
        channel,
        program: REFERENCE_PROGRAM,
        ...(programs ? { programs: createProgramResolver(api.stack.store) } : {}),
        clock: new SystemClock(),
        ...quiet,
      }).run({ task: 'daily-sweep', scheduledTime: new Date(Date.now() + days * 86_400_000).toISOString() });
    const v1Only = await sweep(false, 1);
    expect(sent.map((m) => m.body.ru).join('\n')).not.toContain('Система контентной фильтрации');
    sent.length = 0;
    const ownVersions = await sweep(true, 2);
    expect(ownVersions.overdue).toBeGreaterThan(v1Only.overdue);
    expect(sent.map((m) => m.body.ru).join('\n')).toContain('Система контентной фильтрации');

    // Archiving a v2 school waives its content filtering too.
    const archived = ProfileResult.parse(
      (await api.request('POST', `/api/schools/${v2School.id}/archive`, { body: { on: todayInOmsk(), reason: 'closed' } })).json,
    );
    expect(archived.milestones.map((m) => m.key)).not.toContain(CF); // already waived by the bulk job
    const third = onV2.find((s) => s.id !== school.id && s.id !== v2School.id)!;
    const archivedThird = ProfileResult.parse(
      (await api.request('POST', `/api/schools/${third.id}/archive`, { body: { on: todayInOmsk(), reason: 'closed' } })).json,
    );
    expect(archivedThird.milestones.find((m) => m.key === CF)).toMatchObject({ status: 'waived' });

    // The update import changes a profile, never the version the school follows.
    const csv = schoolsToCsv([{ ...school, teachersToTrain: school.teachersToTrain + 1 }]);
    const updated = await api.request('POST', '/api/imports/schools/updates?dryRun=false', { raw: csv, contentType: 'text/csv' });
    expect(SchoolUpdatePreview.parse(updated.json).updated).toBe(1);
    expect((await api.stack.store.getSchool(school.id))!.school.programVersion).toBe(2);

    // A school imported now follows the latest published version: version 2, with content filtering.
    const fresh = { ...onV1[0]!, id: 'joined-v2', name: 'МБОУ «Новая школа»' };
    delete (fresh as { programVersion?: number }).programVersion;
    const imported = await api.request('POST', '/api/imports/schools', { raw: schoolsToCsv([fresh]), contentType: 'text/csv' });
    expect(imported.status).toBe(202);
    expect(await finished(Job.parse(imported.json).id)).toMatchObject({ status: 'done', succeeded: 1 });
    const joined = (await api.stack.store.getSchool('joined-v2'))!;
    expect(joined.school.programVersion).toBe(2);
    expect(joined.milestones.map((m) => m.state.key).sort()).toEqual(['connection', CF, 'equipment', 'onboarding', 'training']);
  });
});
