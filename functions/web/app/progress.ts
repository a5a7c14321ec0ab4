/**
 * What the overview derives from the school list: for each milestone, the dates on which schools reached
 * it (the one KPI definition of shared/domain/kpi.ts, as the progress report counts them: completed or
 * waived), and the overdue counts.
 */
import type { SchoolListItem } from '../../../shared/api/schemas.js';
import { reachedAt } from '../../../shared/domain/kpi.js';

const omskDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Omsk', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar date of an instant in the region. */
export function regionDate(instant: string): string {
  return omskDate.format(new Date(instant));
}

export interface SeriesPoint {
  date: string;
  share: number;
}

/**
 * The share of `schools` that reached `milestone` by each date on which the count changed, as a step
 * series from `from` (share at that date) to `to`.
 */
export function reachedSeries(schools: readonly SchoolListItem[], milestone: string, from: string, to: string): SeriesPoint[] {
  const n = schools.length;
  if (n === 0)
    return [
      { date: from, share: 0 },
      { date: to, share: 0 },
    ];
  const dates: string[] = [];
  for (const s of schools) {
    const m = s.milestones.find((x) => x.key === milestone);
    const at = m ? reachedAt(m) : null;
    if (at !== null) dates.push(regionDate(new Date(at).toISOString()));
  }
  dates.sort();
  const points: SeriesPoint[] = [];
  let count = dates.filter((d) => d <= from).length;
  points.push({ date: from, share: count / n });
  for (const d of dates) {
    if (d <= from || d > to) continue;
    count++;
    const last = points[points.length - 1]!;
    if (last.date === d) last.share = count / n;
    else points.push({ date: d, share: count / n });
  }
  points.push({ date: to, share: count / n });
  return points;
}

export interface OverdueCounts {
  schools: number;
  milestones: number;
  byMilestone: Record<string, number>;
}

export function overdueCounts(schools: readonly SchoolListItem[]): OverdueCounts {
  const byMilestone: Record<string, number> = {};
  let schoolCount = 0;
  let milestoneCount = 0;
  for (const s of schools) {
    const overdue = s.milestones.filter((m) => m.overdue);
    if (overdue.length > 0) schoolCount++;
    milestoneCount += overdue.length;
    for (const m of overdue) byMilestone[m.key] = (byMilestone[m.key] ?? 0) + 1;
  }
  return { schools: schoolCount, milestones: milestoneCount, byMilestone };
}

/** The heat-map class of a share: 0 (none) … 5 (all). */
export function heat(share: number): number {
  return share >= 1 ? 5 : Math.min(4, Math.floor(share * 5));
}
