import { describe, expect, it } from 'vitest';
import { decide, evidenceIssues, EARLIEST_ACT_DATE, type Decision } from '../../shared/domain/index.js';
import type { Evidence, MilestoneState, School } from '../../shared/program/model.js';
import {
  contractorActor,
  context,
  goodEvidence,
  program,
  requiredDocuments,
  ruralSchool,
  stateWith,
  T0,
  TZ,
  urbanSchool,
} from './fixtures.js';

const def = (key: string) => program.milestones.find((m) => m.key === key)!;
const fields = (key: string, evidence: Evidence, school: School = urbanSchool, now = T0) =>
  evidenceIssues(def(key), school, evidence, now, TZ, requiredDocuments(key)).map((i) => i.field);

function submit(key: string, evidence: Evidence, school: School = urbanSchool, now = T0): Decision {
  const state: MilestoneState = stateWith(key, { status: 'active', version: 1, assignee: 'org-1', startedAt: T0.toISOString() }, school);
  return decide(context(key, { [key]: state }, school), { type: 'submit', evidence }, contractorActor('org-1'), now);
}

describe('evidence rules', () => {
  it('good evidence passes for every milestone', () => {
    for (const key of ['connection', 'equipment', 'training', 'onboarding'] as const) {
      expect(fields(key, goodEvidence[key])).toEqual([]);
      expect(submit(key, goodEvidence[key]).ok).toBe(true);
    }
  });

  it('the evidence kind must match the milestone (422, evidence.kind)', () => {
    const d = submit('connection', goodEvidence.training);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.rejection).toMatchObject({ code: 'invalid-evidence', issues: [{ field: 'evidence.kind' }] });
  });

  it('urban bandwidth: 99 refused, 100 accepted', () => {
    expect(fields('connection', { ...goodEvidence.connection, bandwidthMbps: 99 })).toEqual(['evidence.bandwidthMbps']);
    expect(fields('connection', { ...goodEvidence.connection, bandwidthMbps: 99.9 })).toEqual(['evidence.bandwidthMbps']);
    expect(fields('connection', { ...goodEvidence.connection, bandwidthMbps: 100 })).toEqual([]);
    const d = submit('connection', { ...goodEvidence.connection, bandwidthMbps: 99 });
    if (d.ok) throw new Error('accepted');
    expect(d.rejection.code).toBe('invalid-evidence');
    expect(d.rejection.issues[0]!.message).toBe('99 Mbit/s is below the 100 Mbit/s standard for urban schools');
  });

  it('rural bandwidth: 49 refused, 50 accepted', () => {
    expect(fields('connection', { ...goodEvidence.connection, bandwidthMbps: 49 }, ruralSchool)).toEqual(['evidence.bandwidthMbps']);
    expect(fields('connection', { ...goodEvidence.connection, bandwidthMbps: 50 }, ruralSchool)).toEqual([]);
    expect(submit('connection', { ...goodEvidence.connection, bandwidthMbps: 50 }, ruralSchool).ok).toBe(true);
  });

  it('the delivered kit must cover every planned item; each short item is reported', () => {
    const short: Evidence = {
      kind: 'equipment',
      actNumber: 'ТН-6',
      actDate: '2022-02-20',
      items: [
        { item: 'teacher-laptop', quantity: 9 },
        { item: 'student-laptop', quantity: 15 },
        { item: 'interactive-panel', quantity: 1 },
        { item: 'network-equipment', quantity: 1 },
      ],
    };
    const d = submit('equipment', short);
    if (d.ok) throw new Error('accepted');
    expect(d.rejection.code).toBe('invalid-evidence');
    expect(d.rejection.issues).toEqual([
      { field: 'evidence.items.teacher-laptop', message: 'teacher-laptop: delivered 9 of 10 planned' },
      { field: 'evidence.items.mfp', message: 'mfp: delivered 0 of 1 planned' },
    ]);
  });

  it('repeated kit lines add up, and items beyond the plan are fine', () => {
    const split: Evidence = {
      kind: 'equipment',
      actNumber: 'ТН-7',
      actDate: '2022-02-20',
      items: [
        ...goodEvidence.equipment.items.filter((i) => i.item !== 'teacher-laptop'),
        { item: 'teacher-laptop', quantity: 4 },
        { item: 'teacher-laptop', quantity: 6 },
        { item: 'mfp', quantity: 3 },
      ],
    };
    expect(fields('equipment', split)).toEqual([]);
    expect(fields('equipment', split, { ...urbanSchool, plannedKit: {} })).toEqual([]);
  });

  it('trained teachers: one short refused, the plan accepted', () => {
    expect(fields('training', { ...goodEvidence.training, teachersTrained: 11 })).toEqual(['evidence.teachersTrained']);
    expect(fields('training', { ...goodEvidence.training, teachersTrained: 12 })).toEqual([]);
  });

  it('onboarding: teacher accounts at least the trained teachers, student accounts at least the students', () => {
    expect(fields('onboarding', { ...goodEvidence.onboarding, teacherAccounts: 11, studentAccounts: 599 })).toEqual([
      'evidence.teacherAccounts',
      'evidence.studentAccounts',
    ]);
    expect(fields('onboarding', { ...goodEvidence.onboarding, teacherAccounts: 12, studentAccounts: 600 })).toEqual([]);
    const { students: _omitted, ...noCount } = urbanSchool;
    expect(fields('onboarding', { ...goodEvidence.onboarding, studentAccounts: 0 }, noCount)).toEqual(['evidence.studentAccounts']);
  });

  it('the act date may be today in Omsk but not tomorrow', () => {
    // 2022-03-01T18:30Z is already 2 March, 00:30 in Omsk.
    const evening = new Date('2022-03-01T18:30:00Z');
    expect(fields('connection', { ...goodEvidence.connection, actDate: '2022-03-02' }, urbanSchool, evening)).toEqual([]);
    expect(fields('connection', { ...goodEvidence.connection, actDate: '2022-03-03' }, urbanSchool, evening)).toEqual(['evidence.actDate']);
    // Half an hour earlier it is still 1 March in Omsk.
    const before = new Date('2022-03-01T17:59:00Z');
    expect(fields('connection', { ...goodEvidence.connection, actDate: '2022-03-02' }, urbanSchool, before)).toEqual(['evidence.actDate']);
  });

  it(`the act date is not before ${EARLIEST_ACT_DATE}`, () => {
    expect(fields('connection', { ...goodEvidence.connection, actDate: '2018-12-31' })).toEqual(['evidence.actDate']);
    expect(fields('connection', { ...goodEvidence.connection, actDate: '2019-01-01' })).toEqual([]);
  });

  it('every shortfall is reported at once', () => {
    const d = submit('connection', { ...goodEvidence.connection, bandwidthMbps: 10, actDate: '2030-01-01' });
    if (d.ok) throw new Error('accepted');
    expect(d.rejection.issues.map((i) => i.field)).toEqual(['evidence.actDate', 'evidence.bandwidthMbps']);
  });

  it('a submission without a required document is refused with one field error per missing type, and nothing decided', () => {
    const state: MilestoneState = stateWith('connection', { status: 'active', version: 1, assignee: 'org-1', startedAt: T0.toISOString() });
    const speedTestOnly = requiredDocuments('connection').filter((d) => d.type === 'speed-test');
    const d = decide(
      { ...context('connection', { connection: state }), documents: speedTestOnly },
      { type: 'submit', evidence: goodEvidence.connection },
      contractorActor('org-1'),
      T0,
    );
    if (d.ok) throw new Error('accepted');
    expect(d.rejection.code).toBe('invalid-evidence');
    expect(d.rejection.issues).toEqual([
      { field: 'documents.work-act', message: 'Act of completed work (work-act) is required and not attached' },
    ]);
    const none = decide(
      {
        ...context('equipment', {
          equipment: stateWith('equipment', { status: 'active', version: 1, assignee: 'org-1', startedAt: T0.toISOString() }),
        }),
        documents: [],
      },
      { type: 'submit', evidence: goodEvidence.equipment },
      contractorActor('org-1'),
      T0,
    );
    if (none.ok) throw new Error('accepted');
    expect(none.rejection.issues.map((i) => i.field)).toEqual(['documents.acceptance-act', 'documents.delivery-note']);
  });

  it('an optional document is not required, and the submitted event carries the hash of every attached document', () => {
    expect(fields('training', goodEvidence.training)).toEqual([]);
    const d = submit('connection', goodEvidence.connection);
    if (!d.ok) throw new Error(d.rejection.message);
    const event = d.events[0]!;
    expect(event.type).toBe('submitted');
    if (event.type !== 'submitted') return;
    expect(event.documents).toEqual(requiredDocuments('connection'));
    expect(event.documents!.map((doc) => doc.type)).toEqual(['work-act', 'speed-test']);
  });
});
