/** People, schools and evidence for the workflow tests. */
import { zonedInstant } from '../../shared/calendar.js';
import { requiredBandwidthMbps } from '../../shared/domain/evidence.js';
import { reminderOffsetMs } from '../../shared/domain/reminders.js';
import type { Actor, Command, Contractor, Evidence, IsoDate, KitItem, MilestoneEvent, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { generateRegion } from '../../shared/region/index.js';

export const TZ = REFERENCE_PROGRAM.timeZone;
export const MANAGER: Actor = { role: 'program-manager', sub: 'pm-1', name: 'Program manager' };

export function contractor(org: string): Actor {
  return { role: 'contractor', sub: `user-${org}`, org };
}

/** The director of a school, signed in as its staff. */
export function schoolStaff(s: Pick<School, 'id'>): Actor {
  return { role: 'school-staff', sub: `director-${s.id}`, school: s.id };
}

/** The school's sign-off the reference program asks before acceptance (the connection measured at the standard). */
export function signOff(key: string, s: School): Command {
  return key === 'connection' ? { type: 'signoff', measuredMbps: requiredBandwidthMbps(s) } : { type: 'signoff' };
}

/** A local date and time in Omsk as an instant. */
export function omsk(date: IsoDate, time = '12:00'): Date {
  return zonedInstant(date, time, TZ);
}

/**
 * When a reminder of the reference program dated `date` goes out for a school's milestone: 09:00 in Omsk
 * plus the milestone's own second of the reminder window, as an ISO instant.
 */
export function reminderAt(date: IsoDate, schoolId: string, key: string): string {
  const policy = REFERENCE_PROGRAM.milestones.find((m) => m.key === key)!.reminders;
  return new Date(omsk(date, policy.localTime).getTime() + reminderOffsetMs(schoolId, key, policy)).toISOString();
}

const region = generateRegion({ seed: 'workflow-tests', schools: 40 });

export const CONTRACTORS: readonly Contractor[] = region.contractors;

/** A school of the given cohort year and urban/rural kind, with a fresh id (tests never share one). */
export function school(id: string, cohortYear: number): School {
  const base = region.schools.find((s) => s.cohortYear === cohortYear);
  if (!base) throw new Error(`no demo school of cohort ${cohortYear}`);
  return { ...base, id, cohortYear };
}

/** Evidence that meets the standard for the milestone, with an act dated `actDate`. */
export function evidence(key: string, s: School, actDate: IsoDate): Evidence {
  const actNumber = `${key.toUpperCase()}-${s.id}`;
  switch (key) {
    case 'connection':
      return { kind: 'connection', actNumber, actDate, bandwidthMbps: requiredBandwidthMbps(s) };
    case 'equipment': {
      const items = (Object.entries(s.plannedKit) as [KitItem, number | undefined][]).flatMap(([item, quantity]) =>
        quantity === undefined ? [] : [{ item, quantity }],
      );
      return { kind: 'equipment', actNumber, actDate, items: items.length > 0 ? items : [{ item: 'mfp', quantity: 0 }] };
    }
    case 'training':
      return { kind: 'training', actNumber, actDate, teachersTrained: s.teachersToTrain };
    case 'onboarding':
      return { kind: 'onboarding', actNumber, actDate, teacherAccounts: Math.max(1, s.teachersToTrain), studentAccounts: s.students ?? 1 };
    default:
      throw new Error(`no evidence for ${key}`);
  }
}

export type Reminded = Extract<MilestoneEvent, { type: 'reminded' }>;

export function reminders(events: readonly MilestoneEvent[], key?: string): Reminded[] {
  return events.filter((e): e is Reminded => e.type === 'reminded' && (key === undefined || e.milestone === key));
}
