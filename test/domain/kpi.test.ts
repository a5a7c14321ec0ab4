/**
 * The one KPI definition (shared/domain/kpi.ts) and every consumer of it. The "same histories" test feeds
 * one set of school histories to the API's progress report, the dashboard's series, the exports and the
 * simulation's KPI table, and compares their figures: it fails if any of them counts differently.
 */
import { describe, expect, it } from 'vitest';
import { progressCsv, progressReport } from '../../functions/api/reports.js';
import { digestText, weeklyDigest } from '../../functions/schedules/weekly-digest.js';
import { reportTable } from '../../functions/web/app/export.js';
import { createI18n } from '../../functions/web/app/i18n.js';
import { reachedSeries } from '../../functions/web/app/progress.js';
import { computeKpis } from '../../infra/local/simulation/kpi.js';
import type { SchoolListItem } from '../../shared/api/schemas.js';
import { districtSizeClass, groupedTally } from '../../shared/domain/equal-conditions.js';
import { initialState } from '../../shared/domain/evolve.js';
import { evolve } from '../../shared/domain/index.js';
import { endOfKpiDay, tally, targetProgress, type KpiSchool } from '../../shared/domain/kpi.js';
import { zonedInstant } from '../../shared/calendar.js';
import type { Actor, MilestoneEvent, MilestoneState, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM as program } from '../../shared/program/reference-program.js';
import { generateRegion } from '../../shared/region/demo-region.js';
import { Rng } from '../../shared/region/prng.js';
import { lineOf } from '../../shared/store/marshall.js';
import type { SchoolSummary } from '../../shared/store/store.js';

const keys = program.milestones.map((m) => m.key);
const manager: Actor = { role: 'program-manager', sub: 'pm' };
const T0 = new Date('2021-01-01T00:00:00Z');

/** Seeded histories: per school and milestone, started, maybe submitted, rejected, accepted or waived, at random instants (some just around local midnight). */
function histories(schools: readonly School[], seed: number): { events: MilestoneEvent[]; states: Map<string, MilestoneState[]> } {
  const rng = new Rng(`kpi-${seed}`);
  const events: MilestoneEvent[] = [];
  const states = new Map<string, MilestoneState[]>();
  const instant = () => {
    const day = rng.int(0, 4 * 365);
    // Omsk is UTC+6: 17:59Z and 18:00Z fall on either side of local midnight.
    const time = rng.chance(0.3) ? (rng.chance(0.5) ? 'T17:59:59.000Z' : 'T18:00:00.000Z') : `T0${rng.int(3, 9)}:00:00.000Z`;
    return new Date(T0.getTime() + day * 86_400_000).toISOString().slice(0, 10) + time;
  };
  for (const school of schools) {
    const list: MilestoneState[] = [];
    for (const key of keys) {
      let state = initialState(program, school, key, T0);
      const fate = rng.next();
      const at = [instant(), instant(), instant()].sort();
      const push = (e: Omit<MilestoneEvent, 'version' | 'schoolId' | 'milestone' | 'actor'> & { type: MilestoneEvent['type'] }) => {
        const event = { ...e, schoolId: school.id, milestone: key, actor: manager, version: state.version + 1 } as MilestoneEvent;
        state = evolve(state, event);
        events.push(event);
      };
      if (fate > 0.1) {
        push({ type: 'started', at: at[0]!, assignee: 'contractor-1', deadline: `${school.cohortYear}-12-01` } as never);
        if (fate > 0.25 && fate <= 0.35) push({ type: 'waived', at: at[1]!, reason: 'not needed' } as never);
        else if (fate > 0.35) {
          push({
            type: 'submitted',
            at: at[1]!,
            evidence: { kind: 'training', actNumber: '1', actDate: '2022-01-01', teachersTrained: 3 },
          } as never);
          if (fate > 0.45) push({ type: 'accepted', at: at[2]! } as never);
          else push({ type: 'rejected', at: at[2]!, reason: 'incomplete' } as never);
        }
      }
      list.push(state);
    }
    states.set(school.id, list);
  }
  return { events, states };
}

const region = generateRegion({ schools: 160, seed: 7 });
const { events, states } = histories(region.schools, 7);
const summaries: SchoolSummary[] = region.schools.map((school) => ({ school, milestones: states.get(school.id)!.map(lineOf) }));
const listItems: SchoolListItem[] = region.schools.map((school) => ({
  ...school,
  milestones: states.get(school.id)!.map((s) => ({
    key: s.key,
    status: s.status,
    assignee: s.assignee,
    deadline: s.deadline,
    overdue: false,
    version: s.version,
    closedAt: s.closedAt,
  })),
}));
const districtIds = region.districts.map((d) => d.id);
const DATES = ['2021-03-31', '2021-12-31', '2022-06-30', '2022-12-01', '2023-12-31', '2024-12-31'];

describe('the same histories through every consumer', () => {
  it('gives the same reached, completed and waived counts in the report, the exports, the dashboard and the simulation', () => {
    const i18n = createI18n('en');
    let reachedSomewhere = 0;
    for (const date of DATES) {
      const report = progressReport(program, districtIds, summaries, date, new Date('2025-01-01T00:00:00Z'));
      const bySettlement = progressReport(program, districtIds, summaries, date, new Date(), 'settlement');
      const bySize = progressReport(program, districtIds, summaries, date, new Date(), 'district-size');
      const sim = computeKpis({ program, schools: region.schools, districts: region.districts, events, from: '2021-01-01', to: date });
      const simYear = sim.years.at(-1)!;
      expect(simYear.asOf).toBe(date);
      const table = reportTable(report, i18n);
      const totalRow = table.rows.at(-1)!;
      const csvTotal = progressCsv(report, region.districts)
        .replace(/^\uFEFF/, '')
        .trimEnd()
        .split('\r\n')
        .at(-1)!
        .split(',');
      for (const [i, k] of keys.entries()) {
        const api = report.total.milestones[k]!;
        reachedSomewhere += api.reached;
        // The simulation's KPI table (from the audit log alone).
        expect({
          date,
          k,
          reached: simYear.milestones[k]!.done,
          completed: simYear.milestones[k]!.completed,
          waived: simYear.milestones[k]!.waived,
        }).toEqual({
          date,
          k,
          reached: api.reached,
          completed: api.completed,
          waived: api.waived,
        });
        expect(sim.series.at(-1)!.done[k]).toBe(api.reached);
        // The dashboard's step series over the school list.
        const series = reachedSeries(listItems, k, '2021-01-01', '2024-12-31');
        const point = series.filter((p) => p.date <= date).at(-1)!;
        expect({ date, k, dashboard: Math.round(point.share * listItems.length) }).toEqual({ date, k, dashboard: api.reached });
        // The exports: the table behind CSV/XLSX and the API's CSV.
        expect(totalRow.slice(2 + 3 * i, 5 + 3 * i)).toEqual([api.reached, api.waived, api.share]);
        expect(csvTotal.slice(3 + 3 * i, 6 + 3 * i)).toEqual([String(api.reached), String(api.waived), api.share.toFixed(4)]);
        // Every split adds up to the same total.
        for (const split of [report, bySettlement, bySize]) {
          expect(split.rows.reduce((n, r) => n + r.milestones[k]!.reached, 0)).toBe(api.reached);
          expect(split.total.milestones[k]).toEqual(api);
        }
      }
    }
    expect(reachedSomewhere).toBeGreaterThan(0);
  });

  it('gives the same target figures in the report and the simulation', () => {
    const report = progressReport(program, districtIds, summaries, '2024-12-31', new Date());
    const sim = computeKpis({
      program,
      schools: region.schools,
      districts: region.districts,
      events,
      from: '2021-01-01',
      to: '2024-12-31',
    });
    expect(report.targets.length).toBe(program.targets.length);
    for (const [i, t] of report.targets.entries()) {
      const s = sim.targets[i]!;
      expect({ milestone: t.milestone, date: t.date, counted: t.counted, reached: t.reached, met: t.met }).toEqual({
        milestone: s.milestone,
        date: s.date,
        counted: s.counted,
        reached: s.done,
        met: s.met,
      });
    }
  });
});

describe('the weekly digest', () => {
  // Mondays at 08:00 in Omsk: the digest's figures are as of the Sunday before.
  const MONDAYS = ['2021-03-29', '2022-06-06', '2023-12-04', '2024-12-02'];

  it('states the KPI table, the next targets and the forecast as the report and the simulation count them, in its text', () => {
    let reachedSomewhere = 0;
    for (const monday of MONDAYS) {
      const now = zonedInstant(monday, '08:00', program.timeZone);
      const digest = weeklyDigest(program, region.districts, summaries, now);
      const sunday = new Date(Date.parse(`${monday}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      expect(digest).toMatchObject({ week: monday, asOf: sunday });
      const report = progressReport(program, districtIds, summaries, sunday, now);
      const sim = computeKpis({ program, schools: region.schools, districts: region.districts, events, from: '2021-01-01', to: sunday });
      const year = sim.years.at(-1)!;
      const kpiSchools: KpiSchool[] = summaries.map((s) => ({ school: s.school, milestones: s.milestones }));
      const { body } = digestText(program, region.districts, digest);
      expect(digest.kpi.total).toEqual(report.total);
      for (const k of keys) {
        const cell = digest.kpi.total.milestones[k]!;
        reachedSomewhere += cell.reached;
        expect({ monday, k, reached: cell.reached, waived: cell.waived }).toEqual({
          monday,
          k,
          reached: year.milestones[k]!.done,
          waived: year.milestones[k]!.waived,
        });
        const title = program.milestones.find((m) => m.key === k)!.title.ru;
        const percent = `${(cell.share * 100).toFixed(1).replace('.', ',')} %`;
        expect(body.ru).toContain(
          `• ${title}: ${cell.reached} из ${digest.kpi.total.schools} — ${percent} (в т. ч. освобождены: ${cell.waived})`,
        );
      }
      // One next target per milestone, measured as the KPI definition measures it, and the region's forecast of it agrees.
      expect(digest.targets.map((t) => t.milestone).sort()).toEqual([...new Set(program.targets.map((t) => t.milestone))].sort());
      for (const t of digest.targets) {
        const target = program.targets.find((x) => x.milestone === t.milestone && x.date === t.date)!;
        const measured = targetProgress(target, kpiSchools, endOfKpiDay(program, t.date <= sunday ? t.date : sunday));
        expect({ counted: t.counted, reached: t.reached }).toEqual({ counted: measured.counted, reached: measured.reached });
        const f = digest.forecast.find((r) => r.milestone === t.milestone)!;
        if (t.date > sunday) expect({ counted: f.counted, reached: f.reached }).toEqual({ counted: t.counted, reached: t.reached });
        expect(body.ru).toContain(`${t.reached} из ${t.counted}`);
      }
      // The districts furthest behind are the lowest shares of the target's scope among the districts.
      for (const w of digest.worstDistricts) {
        const target = digest.targets.find((t) => t.milestone === w.milestone)!;
        const districtProgress = targetProgress(
          program.targets.find((x) => x.milestone === target.milestone && x.date === target.date)!,
          kpiSchools.filter((s) => s.school.district === w.district),
          endOfKpiDay(program, sunday),
        );
        expect({ reached: w.reached, counted: w.counted }).toEqual({
          reached: districtProgress.reached,
          counted: districtProgress.counted,
        });
        expect(body.ru).toContain(region.districts.find((d) => d.id === w.district)!.nameRu);
      }
    }
    expect(reachedSomewhere).toBeGreaterThan(0);
  });
});

describe('the KPI rule', () => {
  const school = (id: string, extra: Partial<KpiSchool> = {}, profile: Partial<KpiSchool['school']> = {}): KpiSchool => ({
    school: { id, district: 'd1', urban: true, cohortYear: 2021, ...profile },
    milestones: [],
    ...extra,
  });
  const until = endOfKpiDay(program, '2022-12-01');

  it('counts a waived milestone as reached and apart, and an archived school nowhere', () => {
    const schools = [
      school('a', { milestones: [{ key: 'connection', status: 'completed', closedAt: '2022-01-10T05:00:00Z' }] }),
      school('b', { milestones: [{ key: 'connection', status: 'waived', closedAt: '2022-01-10T05:00:00Z' }] }),
      school('c', { milestones: [{ key: 'connection', status: 'active', closedAt: null }] }),
      school('d', { archived: true, milestones: [{ key: 'connection', status: 'completed', closedAt: '2022-01-10T05:00:00Z' }] }),
    ];
    expect(tally(['connection'], schools, until)).toEqual({
      schools: 3,
      milestones: { connection: { schools: 3, completed: 1, waived: 1, reached: 2, share: 0.6667 } },
    });
  });

  it('counts by the end of the day in the programme time zone', () => {
    // 2022-12-01 ends at 2022-12-01T18:00Z in Omsk (UTC+6).
    const at = (closedAt: string) =>
      tally(['connection'], [school('a', { milestones: [{ key: 'connection', status: 'completed', closedAt }] })], until).milestones
        .connection!.reached;
    expect(at('2022-12-01T17:59:59.999Z')).toBe(1);
    expect(at('2022-12-01T18:00:00.000Z')).toBe(0);
  });

  it('measures a target over the schools of its scope, archived ones left out', () => {
    const target = { milestone: 'equipment', date: '2022-12-01', share: 0.5, scope: 'cohorts-due' as const };
    const done = [{ key: 'equipment', status: 'completed' as const, closedAt: '2022-06-01T05:00:00Z' }];
    const schools = [
      school('a', { milestones: done }),
      school('b', {}, { cohortYear: 2022 }),
      school('c', {}, { cohortYear: 2023 }),
      school('d', { archived: true }, { cohortYear: 2021 }),
    ];
    expect(targetProgress(target, schools, until)).toMatchObject({ counted: 2, reached: 1, share: 0.5, met: true });
  });

  it('splits urban and rural schools and district sizes, with the gap in percentage points', () => {
    const done = [{ key: 'connection', status: 'completed' as const, closedAt: '2022-01-10T05:00:00Z' }];
    const schools = [
      school('u1', { milestones: done }),
      school('u2', { milestones: done }),
      school('r1', { milestones: done }, { urban: false, district: 'd2' }),
      school('r2', {}, { urban: false, district: 'd2' }),
      school('r3', {}, { urban: false, district: 'd2' }),
      school('r4', {}, { urban: false, district: 'd2' }),
    ];
    const settlement = groupedTally(['connection'], schools, until, 'settlement', []);
    expect(settlement.rows.map((r) => [r.group, r.schools, r.milestones.connection!.reached])).toEqual([
      ['urban', 2, 2],
      ['rural', 4, 1],
    ]);
    expect(settlement.gap).toEqual({ between: ['rural', 'urban'], points: { connection: -75 } });
    const size = groupedTally(['connection'], schools, until, 'district-size', []);
    expect(size.rows.map((r) => [r.group, r.schools])).toEqual([
      ['small', 6],
      ['medium', 0],
      ['large', 0],
    ]);
    expect(size.gap!.points.connection).toBeNull();
    expect([15, 16, 49, 50].map(districtSizeClass)).toEqual(['small', 'medium', 'medium', 'large']);
  });
});
