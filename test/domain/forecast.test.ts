/**
 * The forecast from live progress (shared/domain/forecast.ts): exact on a steady pace, a range that
 * holds the point forecast, the KPI definition's counting (waived reached, archived left out, the
 * target's scope, the schools whose programme version has the milestone), the schools holding a target
 * back, and a stalled group without a date.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, zonedInstant } from '../../shared/calendar.js';
import { forecast, forecastTargets, requiredSchools, targetReachedOn, type ForecastSchool } from '../../shared/domain/forecast.js';
import type { ProgramTarget } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';

const TZ = 'Asia/Omsk';
const program = { timeZone: TZ };
const ASOF_DATE = '2022-06-01';
const asOf = zonedInstant(ASOF_DATE, '00:00', TZ);
const target: ProgramTarget = { milestone: 'equipment', date: '2022-12-01', share: 1, scope: 'all' };

/** A school of `district` whose equipment was accepted on `closedOn` (a local date, 10:00), or is open. */
function school(id: string, district: string, closedOn: string | null, extra: Partial<ForecastSchool> = {}): ForecastSchool {
  return {
    school: { id, district, urban: false, cohortYear: 2022 },
    milestones: [
      {
        key: 'equipment',
        status: closedOn ? 'completed' : 'active',
        closedAt: closedOn ? zonedInstant(closedOn, '10:00', TZ).toISOString() : null,
        deadline: '2022-04-01',
      },
    ],
    ...extra,
  };
}

describe('forecast', () => {
  it('is exact on a steady pace: k schools a week reach the target when the rest are done at that pace, with no spread', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), (k, open) => {
        const schools: ForecastSchool[] = [];
        // k schools in each of the last 8 weeks (each week's middle day), `open` still to go.
        for (let w = 0; w < 8; w++)
          for (let i = 0; i < k; i++) schools.push(school(`s${w}-${i}`, 'tarsky', addDays(ASOF_DATE, -7 * (8 - w) + 3)));
        for (let i = 0; i < open; i++) schools.push(school(`o${i}`, 'tarsky', null));
        const [region] = forecast(program, [target], schools, asOf);
        const days = Math.ceil((open / k) * 7);
        expect(region).toMatchObject({ district: null, counted: 8 * k + open, reached: 8 * k, needed: open, pacePerWeek: k });
        expect(region!.weekly).toEqual(new Array(8).fill(k));
        expect(region!.forecast).toBe(addDays(ASOF_DATE, days));
        expect([region!.low, region!.high]).toEqual([region!.forecast, region!.forecast]);
        expect(region!.status).toBe(region!.forecast! <= target.date ? 'on-track' : 'late');
      }),
      { numRuns: 60 },
    );
  });

  it('gives a range that holds the point forecast, and counts the region as the sum of its districts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.option(fc.integer({ min: -120, max: -1 }), { nil: null })), {
          minLength: 1,
          maxLength: 60,
        }),
        (spec) => {
          const schools = spec.map(([d, day], i) => school(`s${i}`, d, day === null ? null : addDays(ASOF_DATE, day)));
          const rows = forecast(program, [target], schools, asOf, { resamples: 200 });
          const region = rows.find((r) => r.district === null)!;
          const districts = rows.filter((r) => r.district !== null);
          expect(districts.reduce((n, r) => n + r.counted, 0)).toBe(region.counted);
          expect(districts.reduce((n, r) => n + r.reached, 0)).toBe(region.reached);
          expect(districts.reduce((n, r) => n + r.open, 0)).toBe(region.open);
          for (const r of rows) {
            expect(r.reached + r.needed).toBe(r.needed === 0 ? r.reached : requiredSchools(r.targetShare, r.counted));
            if (r.status === 'met') expect(r.needed).toBe(0);
            if (r.forecast && r.low) expect(r.low <= r.forecast).toBe(true);
            if (r.forecast && r.high) expect(r.forecast <= r.high).toBe(true);
            if (r.pacePerWeek === 0 && r.needed > 0) expect(r).toMatchObject({ status: 'stalled', forecast: null, high: null });
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('counts as the KPI definition does: waived is reached, archived schools and schools outside the scope are left out', () => {
    const schools: ForecastSchool[] = [
      school('done', 'a', '2022-05-20'),
      { ...school('waived', 'a', '2022-05-21'), milestones: [{ ...school('x', 'a', '2022-05-21').milestones[0]!, status: 'waived' }] },
      school('archived', 'a', null, { archived: true }),
      { ...school('later-cohort', 'a', null), school: { id: 'later-cohort', district: 'a', urban: true, cohortYear: 2024 } },
      school('open', 'a', null),
    ];
    const scoped: ProgramTarget = { ...target, scope: 'cohorts-due' };
    const [region] = forecast(program, [scoped], schools, asOf);
    expect(region).toMatchObject({ counted: 3, reached: 2, needed: 1, open: 1 });
    expect(region!.holdingBack.map((h) => h.schoolId)).toEqual(['open']);
  });

  it('lists the schools holding a target back, most overdue first, and says when a group has stalled', () => {
    const schools: ForecastSchool[] = [
      { ...school('late-1', 'a', null), milestones: [{ key: 'equipment', status: 'active', closedAt: null, deadline: '2022-03-01' }] },
      { ...school('late-2', 'a', null), milestones: [{ key: 'equipment', status: 'submitted', closedAt: null, deadline: '2022-01-20' }] },
      { ...school('due-later', 'a', null), milestones: [{ key: 'equipment', status: 'pending', closedAt: null, deadline: '2022-11-01' }] },
      school('old', 'a', '2021-10-01'),
    ];
    const [region] = forecast(program, [target], schools, asOf);
    expect(region!.holdingBack.map((h) => h.schoolId)).toEqual(['late-2', 'late-1', 'due-later']);
    expect(region!.holdingBack[0]!.daysOverdue).toBeGreaterThan(region!.holdingBack[1]!.daysOverdue);
    expect(region!.holdingBack[2]!.daysOverdue).toBe(0);
    expect(region).toMatchObject({ overdue: 2, open: 3, pacePerWeek: 0, status: 'stalled', forecast: null, low: null, high: null });
  });

  it('counts only the schools whose programme version has the target milestone', () => {
    const other = new Set(['connection']);
    const schools = [
      school('on-it', 'a', '2022-02-01'),
      school('open', 'a', null),
      // A school on a version without the milestone: no row of it counts, even with an item left over.
      school('elsewhere', 'b', null, { follows: other }),
      school('elsewhere-done', 'b', '2022-03-01', { follows: other }),
    ];
    const rows = forecast(program, [target], schools, asOf);
    expect(rows.map((r) => [r.district, r.counted, r.reached, r.open])).toEqual([
      [null, 2, 1, 1],
      ['a', 2, 1, 1],
      ['b', 0, 0, 0],
    ]);
    expect(targetReachedOn(target, [school('on-it', 'a', '2022-02-01'), school('elsewhere', 'b', null, { follows: other })], TZ)).toBe(
      '2022-02-01',
    );
  });

  it('gives the date a met target was reached, and finds the next target of each milestone', () => {
    const schools = [school('a1', 'a', '2022-02-01'), school('a2', 'a', '2022-03-05')];
    const [region] = forecast(program, [target], schools, asOf);
    expect(region).toMatchObject({ status: 'met', forecast: '2022-03-05', needed: 0 });
    expect(targetReachedOn(target, schools, TZ)).toBe('2022-03-05');
    expect(targetReachedOn(target, [...schools, school('a3', 'b', null)], TZ)).toBeNull();
    expect(forecastTargets(REFERENCE_PROGRAM, '2022-06-01').map((t) => [t.milestone, t.date])).toEqual([
      ['connection', '2021-12-31'],
      ['equipment', '2022-12-01'],
      ['training', '2022-12-01'],
      ['onboarding', '2024-12-31'],
    ]);
  });

  it('is deterministic: the same histories give the same forecast, range included', () => {
    const schools = Array.from({ length: 30 }, (_, i) =>
      school(`s${i}`, 'a', i % 3 === 0 ? null : addDays(ASOF_DATE, -((i * 5) % 50) - 1)),
    );
    expect(forecast(program, [target], schools, asOf)).toEqual(forecast(program, [target], schools, asOf));
  });
});
