/**
 * Equal conditions: the KPIs split by where a school is, and the gap between the groups.
 *
 * - `settlement`: urban or rural, from the school's profile (`urban`). Gap: rural minus urban.
 * - `district-size`: the size class of the school's district by its number of counted schools:
 *   `small` up to 15 schools, `medium` 16 to 49, `large` 50 or more (the regional capital). Gap: small
 *   minus large.
 * - `district`: one group per district (no gap).
 *
 * A gap is in percentage points of the share (KPI definition in kpi.ts), per milestone; negative when the
 * first group (rural, small districts) is behind. It is null when either group has no school.
 *
 * Pure: no I/O, no clock reads.
 */
import { addToTally, countedSchools, emptyTally, withShares, type KpiCell, type KpiSchool, type KpiTally } from './kpi.js';

export const GROUP_BY = ['district', 'settlement', 'district-size'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const SETTLEMENT_GROUPS = ['urban', 'rural'] as const;
export const DISTRICT_SIZE_GROUPS = ['small', 'medium', 'large'] as const;
export type DistrictSize = (typeof DISTRICT_SIZE_GROUPS)[number];

/** Upper bounds (inclusive) of the small and medium district-size classes, in schools. */
export const DISTRICT_SIZE_LIMITS = { small: 15, medium: 49 } as const;

export function districtSizeClass(schools: number): DistrictSize {
  return schools <= DISTRICT_SIZE_LIMITS.small ? 'small' : schools <= DISTRICT_SIZE_LIMITS.medium ? 'medium' : 'large';
}

/** Which groups compare in the gap of a grouping: [behind-prone, reference]. */
export const GAP_BETWEEN: Record<GroupBy, readonly [string, string] | null> = {
  district: null,
  settlement: ['rural', 'urban'],
  'district-size': ['small', 'large'],
};

export interface GroupedTally {
  groupBy: GroupBy;
  rows: (KpiTally & { group: string })[];
  total: KpiTally;
  /** Per milestone, (share of the first group − share of the second) × 100, rounded to 0.1; null without a gap. */
  gap: { between: readonly [string, string]; points: Record<string, number | null> } | null;
}

/**
 * The tally per group of `groupBy`, with the total and the gap. `districts` fixes the order of the
 * district rows (and lists districts without schools as empty rows).
 */
export function groupedTally(
  keys: readonly string[],
  schools: readonly KpiSchool[],
  until: number,
  groupBy: GroupBy,
  districts: readonly string[],
): GroupedTally {
  const counted = countedSchools(schools);
  const perDistrict = new Map<string, number>();
  for (const s of counted) perDistrict.set(s.school.district, (perDistrict.get(s.school.district) ?? 0) + 1);
  const groups: readonly string[] =
    groupBy === 'district' ? districts : groupBy === 'settlement' ? SETTLEMENT_GROUPS : DISTRICT_SIZE_GROUPS;
  const groupOf = (s: KpiSchool): string =>
    groupBy === 'district'
      ? s.school.district
      : groupBy === 'settlement'
        ? s.school.urban
          ? 'urban'
          : 'rural'
        : districtSizeClass(perDistrict.get(s.school.district) ?? 0);
  const rows = new Map(groups.map((g) => [g, emptyTally(keys)]));
  const total = emptyTally(keys);
  for (const s of counted) {
    const row = rows.get(groupOf(s));
    if (!row) continue;
    addToTally(row, s, until);
    addToTally(total, s, until);
  }
  const out = [...rows].map(([group, row]) => ({ group, ...withShares(row) }));
  const between = GAP_BETWEEN[groupBy];
  let gap: GroupedTally['gap'] = null;
  if (between) {
    const a = rows.get(between[0])!;
    const b = rows.get(between[1])!;
    gap = {
      between,
      points: Object.fromEntries(keys.map((k) => [k, gapPoints(a.milestones[k]!, b.milestones[k]!)])),
    };
  }
  return { groupBy, rows: out, total: withShares(total), gap };
}

/** (share of a − share of b) × 100, rounded to 0.1, over each cell's own denominator; null when either has no school. */
function gapPoints(a: KpiCell, b: KpiCell): number | null {
  return a.schools === 0 || b.schools === 0 ? null : Math.round((a.reached / a.schools - b.reached / b.schools) * 1000) / 10;
}
