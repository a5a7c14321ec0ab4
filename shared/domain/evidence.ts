/**
 * The standard a submission's evidence must meet (DESIGN.md §1). The shape was already checked by the
 * Evidence schema; these are the business rules, each reported with its field path so the contractor
 * sees every shortfall at once.
 */
import { localDate } from '../calendar.js';
import type { DocumentRef, Evidence, IsoDate, KitItem, MilestoneDefinition, School } from '../program/model.js';
import type { RejectionIssue } from './rejection.js';

/** Minimum measured bandwidth, Mbit/s. */
export const MIN_BANDWIDTH_MBPS = { urban: 100, rural: 50 } as const;
/** An act dated before this is not an act of this program. */
export const EARLIEST_ACT_DATE: IsoDate = '2019-01-01';

export function requiredBandwidthMbps(school: Pick<School, 'urban'>): number {
  return school.urban ? MIN_BANDWIDTH_MBPS.urban : MIN_BANDWIDTH_MBPS.rural;
}

/**
 * Every way `evidence` and the attached `documents` fall short of the standard for this milestone and
 * school (empty when they meet it).
 */
export function evidenceIssues(
  def: MilestoneDefinition,
  school: School,
  evidence: Evidence,
  now: Date,
  timeZone: string,
  documents: readonly DocumentRef[] = [],
): RejectionIssue[] {
  if (evidence.kind !== def.evidence) {
    return [{ field: 'evidence.kind', message: `milestone ${def.key} takes ${def.evidence} evidence, not ${evidence.kind}` }];
  }
  return [...actIssues(evidence, now, timeZone), ...contentIssues(school, evidence), ...documentIssues(def, documents)];
}

/** One issue per document type the evidence rules require and no attached document has. */
export function documentIssues(def: MilestoneDefinition, documents: readonly DocumentRef[]): RejectionIssue[] {
  const attached = new Set(documents.map((d) => d.type));
  return def.documents
    .filter((rule) => rule.required && !attached.has(rule.type))
    .map((rule) => ({ field: `documents.${rule.type}`, message: `${rule.title.en} (${rule.type}) is required and not attached` }));
}

function actIssues(evidence: Evidence, now: Date, timeZone: string): RejectionIssue[] {
  const today = localDate(now, timeZone);
  // A content filter has no act: the day it was switched on is the date the evidence stands on.
  const [field, what, date] =
    evidence.kind === 'content-filter'
      ? ['evidence.enabledOn', 'switch-on date', evidence.enabledOn]
      : ['evidence.actDate', 'act date', evidence.actDate];
  if (date > today) return [{ field, message: `${what} ${date} is in the future (today is ${today})` }];
  if (date < EARLIEST_ACT_DATE) return [{ field, message: `${what} ${date} is before ${EARLIEST_ACT_DATE}` }];
  return [];
}

function contentIssues(school: School, evidence: Evidence): RejectionIssue[] {
  switch (evidence.kind) {
    case 'connection': {
      const min = requiredBandwidthMbps(school);
      return evidence.bandwidthMbps >= min
        ? []
        : [
            {
              field: 'evidence.bandwidthMbps',
              message: `${evidence.bandwidthMbps} Mbit/s is below the ${min} Mbit/s standard for ${school.urban ? 'urban' : 'rural'} schools`,
            },
          ];
    }
    case 'equipment':
      return kitShortfalls(school, evidence.items);
    case 'training':
      return evidence.teachersTrained >= school.teachersToTrain
        ? []
        : [
            {
              field: 'evidence.teachersTrained',
              message: `${evidence.teachersTrained} teachers trained, ${school.teachersToTrain} planned`,
            },
          ];
    case 'onboarding': {
      const issues: RejectionIssue[] = [];
      const teachers = Math.max(1, school.teachersToTrain);
      if (evidence.teacherAccounts < teachers) {
        issues.push({
          field: 'evidence.teacherAccounts',
          message: `${evidence.teacherAccounts} teacher accounts, at least ${teachers} expected`,
        });
      }
      const students = school.students ?? 1;
      if (evidence.studentAccounts < students) {
        issues.push({
          field: 'evidence.studentAccounts',
          message: `${evidence.studentAccounts} student accounts, at least ${students} expected`,
        });
      }
      return issues;
    }
    case 'content-filter':
      // The shape is the standard: a named filter with its registry entry (checked by the Evidence schema).
      return [];
  }
}

/** One issue per planned kit item delivered short (quantities of repeated lines add up). */
export function kitShortfalls(school: School, items: readonly { item: KitItem; quantity: number }[]): RejectionIssue[] {
  const delivered = new Map<KitItem, number>();
  for (const { item, quantity } of items) delivered.set(item, (delivered.get(item) ?? 0) + quantity);
  const issues: RejectionIssue[] = [];
  for (const [item, planned] of Object.entries(school.plannedKit) as [KitItem, number | undefined][]) {
    const got = delivered.get(item) ?? 0;
    if (planned !== undefined && got < planned) {
      issues.push({ field: `evidence.items.${item}`, message: `${item}: delivered ${got} of ${planned} planned` });
    }
  }
  return issues;
}
