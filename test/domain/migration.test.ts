/**
 * The migration preview (shared/domain/migration.ts), property-tested over programs drawn from the
 * milestones of version 2 of the reference program and schools in any state: migrating to the same
 * version changes nothing; A→B adds exactly B's milestones that A lacks and removes exactly A's that B
 * lacks; moved dates and invalidated submissions follow the new rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesNothing, initialState, migrationPreview, migrationReplans } from '../../shared/domain/index.js';
import { loadProgram } from '../../shared/program/load-program.js';
import { MilestoneStatus, type MilestoneState, type ProgramDefinition } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM_V2_DATA } from '../../shared/programs/index.js';
import { REFERENCE_PROGRAM, REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import { goodEvidence, ruralSchool, T0, urbanSchool } from './fixtures.js';

const V2 = loadProgram(REFERENCE_PROGRAM_V2_DATA);
const keys = V2.milestones.map((m) => m.key);

/** A program of some of version 2's milestones (a same-as rule keeps the milestone it names; dependencies on dropped ones are dropped). */
function programOf(chosen: readonly string[]): ProgramDefinition {
  const set = new Set(chosen);
  for (const m of V2.milestones)
    for (const r of [m.plannedStart, m.deadline]) if (set.has(m.key) && r.kind === 'same-as') set.add(r.milestone);
  const milestones = V2.milestones.filter((m) => set.has(m.key)).map((m) => ({ ...m, dependsOn: m.dependsOn.filter((d) => set.has(d)) }));
  return { ...V2, targets: V2.targets.filter((t) => set.has(t.milestone)), milestones };
}

const programArb = fc.subarray(keys, { minLength: 1 }).map(programOf);
const schoolArb = fc.constantFrom(urbanSchool, ruralSchool);
const statesArb = (program: ProgramDefinition, school: typeof urbanSchool) =>
  fc
    .tuple(
      ...program.milestones.map(() =>
        fc.record({ stored: fc.boolean(), status: fc.constantFrom(...MilestoneStatus.options), rescheduled: fc.boolean() }),
      ),
    )
    .map((picks) => {
      const states: Record<string, MilestoneState> = {};
      program.milestones.forEach((m, i) => {
        const pick = picks[i]!;
        if (!pick.stored) return;
        const initial = initialState(program, school, m.key, T0);
        states[m.key] = {
          ...initial,
          status: pick.status,
          deadline: pick.rescheduled ? '2030-06-30' : initial.deadline,
          evidence: pick.status === 'submitted' ? goodEvidence[m.evidence] : null,
        };
      });
      return states;
    });

describe('migration preview', () => {
  it('migrating to the same version changes nothing', () => {
    fc.assert(
      fc.property(
        programArb.chain((p) => schoolArb.chain((s) => statesArb(p, s).map((states) => ({ p, s, states })))),
        ({ p, s, states }) => {
          const m = migrationPreview({ version: 3, program: p }, { version: 3, program: p }, s, states, new Date('2025-01-10T00:00:00Z'));
          expect(changesNothing(m)).toBe(true);
          expect(migrationReplans(m)).toEqual([]);
        },
      ),
    );
  });

  it('A→B adds exactly the milestones of B not in A and removes exactly those of A not in B', () => {
    fc.assert(
      fc.property(
        fc.tuple(programArb, programArb, schoolArb).chain(([a, b, s]) => statesArb(a, s).map((states) => ({ a, b, s, states }))),
        ({ a, b, s, states }) => {
          const m = migrationPreview({ version: 1, program: a }, { version: 2, program: b }, s, states, new Date('2025-01-10T00:00:00Z'));
          const inA = new Set(a.milestones.map((x) => x.key));
          const inB = new Set(b.milestones.map((x) => x.key));
          expect(m.added.map((x) => x.milestone)).toEqual(b.milestones.map((x) => x.key).filter((k) => !inA.has(k)));
          expect(m.removed.map((x) => x.milestone)).toEqual(a.milestones.map((x) => x.key).filter((k) => !inB.has(k)));
          expect(m.moved).toEqual([]);
        },
      ),
    );
  });

  it('a moved deadline re-plans the open milestone (a date moved by hand stays), and a raised standard invalidates a submission below it', () => {
    const v1 = programOf(keys);
    const later: ProgramDefinition = {
      ...v1,
      milestones: v1.milestones.map((m) =>
        m.key === 'connection'
          ? { ...m, deadline: { kind: 'fixed', date: '2022-06-30' } }
          : m.key === 'content-filtering'
            ? { ...m, evidence: 'connection' }
            : m,
      ),
    };
    const connection = {
      ...initialState(v1, urbanSchool, 'connection', T0),
      status: 'submitted' as const,
      evidence: goodEvidence.connection,
    };
    const filtering = {
      ...initialState(v1, urbanSchool, 'content-filtering', T0),
      status: 'submitted' as const,
      evidence: goodEvidence['content-filter'],
    };
    const m = migrationPreview(
      { version: 1, program: v1 },
      { version: 2, program: later },
      urbanSchool,
      { connection, 'content-filtering': filtering },
      new Date('2025-01-10T00:00:00Z'),
    );
    expect(m.moved).toEqual([
      {
        milestone: 'connection',
        plannedStart: { from: '2021-01-01', to: '2021-01-01' },
        deadline: { from: '2021-12-31', to: '2022-06-30' },
      },
    ]);
    expect(m.evidence).toEqual([
      { milestone: 'content-filtering', evidence: { from: 'content-filter', to: 'connection' }, signOffs: { from: [], to: [] } },
    ]);
    expect(m.invalidated.map((i) => i.milestone)).toEqual(['content-filtering']);
    const byHand = migrationPreview(
      { version: 1, program: v1 },
      { version: 2, program: v1 },
      urbanSchool,
      { connection: { ...connection, deadline: '2023-01-31' } },
      new Date('2025-01-10T00:00:00Z'),
    );
    expect(byHand.moved).toEqual([]);
  });
});

describe('version 2 of the reference program', () => {
  it('is version 1 with content filtering added: required after the connection, with its own evidence and target', () => {
    const v1 = JSON.parse(JSON.stringify(REFERENCE_PROGRAM_DATA)) as typeof REFERENCE_PROGRAM_DATA;
    const v2 = REFERENCE_PROGRAM_V2_DATA as unknown as typeof REFERENCE_PROGRAM_DATA;
    expect({ ...v2, milestones: v2.milestones.slice(0, -1), targets: v2.targets.slice(0, -1) }).toEqual(v1);
    const filtering = V2.milestones.at(-1)!;
    expect(filtering).toMatchObject({
      key: 'content-filtering',
      dependsOn: ['connection'],
      evidence: 'content-filter',
      assignee: 'school',
      deadline: { kind: 'fixed', date: '2024-09-01' },
    });
    expect(filtering.title.ru).toBe('Система контентной фильтрации');
    expect(V2.targets.at(-1)).toEqual({ milestone: 'content-filtering', date: '2024-09-01', share: 1, scope: 'all' });
    const m = migrationPreview({ version: 1, program: REFERENCE_PROGRAM }, { version: 2, program: V2 }, urbanSchool, {}, T0);
    expect(m.added).toEqual([{ milestone: 'content-filtering', plannedStart: '2021-01-01', deadline: '2024-09-01' }]);
  });
});
