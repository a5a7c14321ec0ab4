import { describe, expect, it } from 'vitest';
import { localDate } from '../../shared/calendar.js';
import { decide, evolve, initialState, remind, reminderSchedule, type DecisionContext } from '../../shared/domain/index.js';
import type { Actor, Command, Contractor, District, MilestoneEvent, MilestoneState, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/index.js';
import { computeKpis, formatKpiTable } from '../../infra/local/simulation/kpi.js';
import { requiredDocuments } from '../domain/fixtures.js';

const program = REFERENCE_PROGRAM;
const TZ = program.timeZone;
const contractors: Contractor[] = [
  {
    id: 'isp-1',
    name: 'ISP',
    kind: 'internet-provider',
    districts: [],
    emails: [],
    active: true,
    contracts: [{ number: 'K-1', date: '2021-01-01', milestone: 'connection', districts: [], schools: [], endDate: '2025-12-31' }],
  },
  {
    id: 'sup-1',
    name: 'Supplier',
    kind: 'equipment-supplier',
    districts: [],
    emails: [],
    active: true,
    contracts: [{ number: 'K-2', date: '2021-01-01', milestone: 'equipment', districts: [], schools: [], endDate: '2025-12-31' }],
  },
];
const districts: District[] = [
  { id: 'north', nameRu: 'Северный район', nameEn: 'North District', centerRu: 'Север', centerIsTown: false },
  { id: 'south', nameRu: 'Южный район', nameEn: 'South District', centerRu: 'Юг', centerIsTown: true },
  { id: 'empty', nameRu: 'Пустой район', nameEn: 'Empty District', centerRu: 'Нигде', centerIsTown: false },
];

function school(id: string, district: string, cohortYear: number): School {
  return {
    id,
    name: `Школа ${id}`,
    district,
    locality: 'Село',
    urban: false,
    cohortYear,
    plannedKit: { mfp: 1 },
    teachersToTrain: 2,
    students: 30,
  };
}

const schools = [school('s1', 'north', 2021), school('s2', 'north', 2022), school('s3', 'south', 2021), school('s4', 'south', 2023)];
const manager: Actor = { role: 'program-manager', sub: 'pm' };
const system: Actor = { role: 'system', sub: 'system' };
const isp: Actor = { role: 'contractor', sub: 'isp-user', org: 'isp-1' };

/** Runs commands through the real decider and collects the events, as the store would commit them. */
class Log {
  readonly events: MilestoneEvent[] = [];
  readonly #states = new Map<string, MilestoneState>();

  ctx(s: School, key: string): DecisionContext {
    const states = Object.fromEntries(
      [...this.#states].filter(([id]) => id.startsWith(`${s.id}#`)).map(([id, st]) => [id.split('#')[1]!, st]),
    );
    return { program, school: s, milestone: key, states, contractors, documents: requiredDocuments(key) };
  }

  run(s: School, key: string, command: Command, actor: Actor, at: string): void {
    const d = decide(this.ctx(s, key), command, actor, new Date(at));
    if (!d.ok) throw new Error(`${command.type} refused: ${d.rejection.message}`);
    this.#commit(s, key, d.events);
  }

  /** Every reminder of the milestone's schedule due up to `until`, sent when due. */
  remindUntil(s: School, key: string, until: string): number {
    const state = this.#states.get(`${s.id}#${key}`) ?? initialState(program, s, key, new Date(until));
    const def = program.milestones.find((m) => m.key === key)!;
    const due = reminderSchedule(state, def.reminders, TZ, new Date(until));
    for (const r of due) {
      const d = remind(this.ctx(s, key), r.id, new Date(r.at));
      if (!d.ok) throw new Error(d.rejection.message);
      this.#commit(s, key, d.events);
    }
    return due.length;
  }

  #commit(s: School, key: string, events: MilestoneEvent[]): void {
    const id = `${s.id}#${key}`;
    let state = this.#states.get(id) ?? initialState(program, s, key, new Date(events[0]!.at));
    for (const e of events) state = evolve(state, e);
    this.#states.set(id, state);
    this.events.push(...events);
  }
}

const staffOf = (s: School): Actor => ({ role: 'school-staff', sub: `${s.id}-director`, school: s.id });
const evidence = (actDate: string) => ({ evidence: { kind: 'connection' as const, actNumber: 'A-1', actDate, bandwidthMbps: 50 } });

function scenario() {
  const log = new Log();
  const [s1, s2, s3, s4] = schools as [School, School, School, School];
  // s1: connected in June 2021, on time.
  log.run(s1, 'connection', { type: 'start' }, system, '2021-01-11T03:00:00Z');
  log.run(s1, 'connection', { type: 'submit', ...evidence('2021-05-20') }, isp, '2021-05-20T05:00:00Z');
  log.run(s1, 'connection', { type: 'signoff', measuredMbps: 50 }, staffOf(s1), '2021-05-25T05:00:00Z');
  log.run(s1, 'connection', { type: 'accept' }, manager, '2021-06-01T05:00:00Z');
  // s2: accepted at 01:00 on 1 January 2022 in Omsk (still 31 December in UTC): a 2022 completion, and late.
  log.run(s2, 'connection', { type: 'start' }, system, '2021-01-11T03:00:00Z');
  log.run(s2, 'connection', { type: 'submit', ...evidence('2021-12-20') }, isp, '2021-12-20T05:00:00Z');
  log.run(s2, 'connection', { type: 'signoff', measuredMbps: 50 }, staffOf(s2), '2021-12-21T05:00:00Z');
  log.run(s2, 'connection', { type: 'accept' }, manager, '2021-12-31T19:00:00Z');
  // s3: waived in March 2021; equipment started and left open.
  log.run(s3, 'connection', { type: 'start' }, system, '2021-01-11T03:00:00Z');
  log.run(s3, 'connection', { type: 'waive', reason: 'already connected' }, manager, '2021-03-01T05:00:00Z');
  log.run(s3, 'equipment', { type: 'start' }, system, '2021-01-11T03:00:00Z');
  // s4: connection started and never done: reminders before the deadline, escalations after it.
  log.run(s4, 'connection', { type: 'start' }, system, '2021-01-11T03:00:00Z');
  const sent = log.remindUntil(s4, 'connection', '2022-06-30T17:59:00Z') + log.remindUntil(s3, 'equipment', '2022-06-30T17:59:00Z');
  return { log, sent };
}

describe('KPIs from the audit log', () => {
  const { log, sent } = scenario();
  const kpis = computeKpis({ program, schools, districts, events: log.events, from: '2021-01-01', to: '2022-06-30' });

  it('counts milestones done (completed or waived) at each 31 December in the program time zone', () => {
    expect(kpis.years.map((y) => [y.year, y.asOf])).toEqual([
      [2021, '2021-12-31'],
      [2022, '2022-06-30'],
    ]);
    expect(kpis.years[0]!.milestones.connection).toEqual({ done: 2, completed: 1, waived: 1, onTime: 1 });
    expect(kpis.years[1]!.milestones.connection).toEqual({ done: 3, completed: 2, waived: 1, onTime: 1 });
    expect(kpis.years[1]!.milestones.equipment!.done).toBe(0);
  });

  it('counts reminders and escalations by the local year they went out in, as the domain schedules them', () => {
    const reminded = log.events.filter((e) => e.type === 'reminded');
    expect(reminded).toHaveLength(sent);
    for (const year of kpis.years) {
      const mine = reminded.filter((e) => localDate(new Date(e.at), TZ).startsWith(String(year.year)));
      expect(year.reminders).toBe(mine.filter((e) => e.type === 'reminded' && e.level === 'assignee').length);
      expect(year.escalations).toBe(mine.filter((e) => e.type === 'reminded' && e.level !== 'assignee').length);
    }
    // Escalations only after a deadline: equipment of s3 (1 December 2021), connection of s4 (31 December 2021).
    for (const e of reminded) {
      if (e.type !== 'reminded') continue;
      const deadline = e.milestone === 'connection' ? '2021-12-31' : '2021-12-01';
      expect(e.level !== 'assignee').toBe(localDate(new Date(e.at), TZ) > deadline);
    }
    expect(kpis.years[0]!.reminders).toBeGreaterThanOrEqual(6);
    expect(kpis.years[0]!.escalations).toBeGreaterThan(0);
    expect(kpis.years[1]!.escalations).toBeGreaterThan(10);
    const monthly = kpis.months.reduce((n, m) => n + m.reminders + m.escalations, 0);
    expect(monthly).toBe(sent);
    expect(kpis.months).toHaveLength(18);
  });

  it('compares the targets with what was reached by their dates', () => {
    const connection = kpis.targets.find((t) => t.milestone === 'connection')!;
    expect(connection).toMatchObject({ counted: 4, done: 2, met: false, expectedOfAll: 1 });
    const equipment2021 = kpis.targets.find((t) => t.milestone === 'equipment' && t.date === '2021-12-01')!;
    // Cohorts due by 2021: s1 and s3, half the schools.
    expect(equipment2021).toMatchObject({ counted: 2, done: 0, met: false, expectedOfAll: 0.5 });
    const after = kpis.targets.find((t) => t.milestone === 'onboarding')!;
    expect(after.done).toBeNull();
    expect(after.met).toBeNull();
  });

  it('gives a weekly series ending on the last day, and a row per district with schools', () => {
    expect(kpis.series[0]!.date).toBe('2021-01-01');
    expect(kpis.series.at(-1)).toEqual({ date: '2022-06-30', done: { connection: 3, equipment: 0, training: 0, onboarding: 0 } });
    const june2021 = kpis.series.find((p) => p.date >= '2021-06-01')!;
    expect(june2021.done.connection).toBe(2);
    expect(kpis.districts.map((d) => [d.id, d.schools, d.done.connection])).toEqual([
      ['north', 2, 2],
      ['south', 2, 1],
    ]);
    const total = kpis.districts.reduce((n, d) => n + d.reminders + d.escalations, 0);
    expect(total).toBe(sent);
    expect(kpis.events).toMatchObject({ started: 5, submitted: 2, accepted: 2, waived: 1, reminded: sent });
  });

  it('prints the yearly table with shares, counts and the notification totals', () => {
    const text = formatKpiTable(kpis);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^year\s+connection\s+equipment\s+training\s+onboarding\s+reminders\s+escalations$/);
    expect(lines[2]).toMatch(/^2021\s+50\.0% \(2\)\s+0\.0% \(0\)\s+0\.0% \(0\)\s+0\.0% \(0\)\s+\d+\s+\d+$/);
    expect(lines[3]).toContain('2022 (to 06-30)');
    expect(lines[3]).toContain('75.0% (3)');
    expect(lines).toHaveLength(4);
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => computeKpis({ program, schools, districts, events: [], from: '2022-01-01', to: '2021-12-31' })).toThrow(RangeError);
  });
});
