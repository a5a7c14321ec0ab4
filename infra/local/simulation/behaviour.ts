/**
 * The seeded behaviour model of the people in a program simulation: contractors (and schools, for the
 * milestones a school confirms itself) who do the work and submit it, district coordinators who accept
 * or reject it, and the program manager who puts work on hold, resumes it, reassigns a late contractor
 * and waives a milestone a school does not need.
 *
 * Pure: no I/O, no clock. Every draw comes from its own generator keyed by the seed and by what it is
 * about (school, milestone, purpose, attempt), never from a shared stream, so a decision does not depend
 * on the order in which the simulation happens to ask: the same seed gives the same behaviour however
 * the work interleaves.
 *
 * Times are epoch milliseconds. People act on working days between 09:00 and 18:00 in the program's
 * time zone; a day that falls on a weekend moves to the Monday.
 */
import { addDays, daysBetween, endOfLocalDay, localDate, zonedInstant } from '../../../shared/calendar.js';
import { nextWorkingDay } from '../../../shared/working-days/index.js';
import type { Contractor, Evidence, IsoDate, KitItem, MilestoneDefinition, School } from '../../../shared/program/model.js';
import { requiredBandwidthMbps } from '../../../shared/domain/evidence.js';
import { hash32, Rng, type Seed } from '../../../shared/region/prng.js';

export const DAY_MS = 86_400_000;
/** The longest a piece of work takes at its own pace, in days, however far away its deadline is. */
export const MAX_PACE_DAYS = 300;

/** How an assignee keeps deadlines. */
export type Punctuality = 'reliable' | 'average' | 'late';

export interface AssigneeProfile {
  id: string;
  punctuality: Punctuality;
  /** Probability that the coordinator returns a first submission for rework (halves with every resubmission). */
  rejectionRate: number;
}

/** The knobs of the model; the defaults describe a plausible regional rollout. */
export interface BehaviourRates {
  /** Probability that a milestone turns out not to be needed for a school and is waived, per milestone key. */
  waive: Readonly<Record<string, number>>;
  /** Probability that an active milestone is put on hold (a school under repair, a contract dispute). */
  hold: number;
  /** Length of a hold, in days. */
  holdDays: readonly [min: number, max: number];
  /** A late assignee whose work would come more than this many days after the deadline is replaced. */
  reassignWhenLateByDays: number;
  /** How long after the deadline the manager reassigns such work, in days. */
  reassignAfterDays: readonly [min: number, max: number];
  /** Days a coordinator takes to review a submission. */
  reviewDays: readonly [min: number, max: number];
  /** Rejection rate of a first submission by punctuality. */
  rejection: Readonly<Record<Punctuality, number>>;
  /** Shares of punctuality among schools confirming their own milestones. */
  schoolPunctuality: Readonly<Record<Punctuality, number>>;
}

export const DEFAULT_RATES: BehaviourRates = {
  waive: { connection: 0.02, equipment: 0.005, training: 0.01, onboarding: 0.003 },
  hold: 0.04,
  holdDays: [14, 90],
  reassignWhenLateByDays: 45,
  reassignAfterDays: [21, 42],
  reviewDays: [1, 10],
  rejection: { reliable: 0.06, average: 0.12, late: 0.25 },
  schoolPunctuality: { reliable: 0.35, average: 0.5, late: 0.15 },
};

/** What the model knows about an active milestone. */
export interface ActiveMilestone {
  schoolId: string;
  key: string;
  assignee: string | null;
  deadline: IsoDate;
  /** When the milestone was started (activated), epoch ms. */
  startedAt: number;
}

/** What happens to a milestone, drawn when it becomes active. */
export type ActivationPlan =
  | { kind: 'waive'; at: number; reason: string }
  | {
      kind: 'work';
      /** When the assignee submits its first confirmation. */
      submitAt: number;
      /** A hold that interrupts the work (the submission moves by the hold's length). */
      hold: { at: number; resumeAt: number; reason: string } | null;
      /** When the manager gives the work to another contractor because this one would be far too late. */
      reassignAt: number | null;
    };

export interface ReviewOutcome {
  at: number;
  verdict: 'accept' | 'reject';
  reason: string | null;
}

const HOLD_REASONS = [
  'Капитальный ремонт здания школы, работы перенесены',
  'Спор по условиям контракта, приостановлено до решения',
  'Школа закрыта на карантин',
  'Перенос поставки по решению учредителя',
];

const WAIVE_REASONS: Readonly<Record<string, string>> = {
  connection: 'Школа уже подключена на нормативной скорости по федеральному контракту',
  equipment: 'Школа реорганизуется путём присоединения, оборудование передано в объединённую школу',
  training: 'Педагоги прошли обучение по другой программе в 2020 году',
  onboarding: 'Школа реорганизована, учётные записи ведутся в объединённой организации',
};

const REJECT_REASONS: Readonly<Record<string, readonly string[]>> = {
  connection: ['Акт не подписан руководителем школы', 'Замер скорости выполнен не по методике, нужен повторный замер'],
  equipment: ['В акте приёмки не указаны серийные номера', 'Товарная накладная не соответствует акту'],
  training: ['Нет копий удостоверений о повышении квалификации', 'Список педагогов не совпадает с заявкой школы'],
  onboarding: ['Часть учётных записей не активирована', 'Нет подтверждения от оператора платформы'],
};

function triangular(rng: Rng, min: number, mode: number, max: number): number {
  const u = rng.next();
  const c = (mode - min) / (max - min);
  return u < c ? min + Math.sqrt(u * (max - min) * (mode - min)) : max - Math.sqrt((1 - u) * (max - min) * (max - mode));
}

export class BehaviourModel {
  readonly seed: string;
  readonly timeZone: string;
  readonly rates: BehaviourRates;
  readonly #profiles = new Map<string, AssigneeProfile>();

  constructor(options: { seed: Seed; timeZone: string; contractors: readonly Contractor[]; rates?: Partial<BehaviourRates> }) {
    this.seed = String(options.seed);
    this.timeZone = options.timeZone;
    this.rates = { ...DEFAULT_RATES, ...options.rates };
    // Within each kind, the seed ranks the contractors: the first is the late one, then a reliable one,
    // then they alternate average/reliable. Every kind has exactly one chronically late contractor.
    const byKind = new Map<string, Contractor[]>();
    for (const c of options.contractors) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
    for (const group of byKind.values()) {
      const ranked = group
        .map((c) => ({ c, rank: hash32(`${this.seed}|profile|${c.id}`) }))
        .sort((a, b) => a.rank - b.rank || (a.c.id < b.c.id ? -1 : 1));
      ranked.forEach(({ c }, i) => {
        const punctuality: Punctuality = i === 0 && group.length > 1 ? 'late' : i % 2 === 1 ? 'reliable' : 'average';
        this.#profiles.set(c.id, { id: c.id, punctuality, rejectionRate: this.rates.rejection[punctuality] });
      });
    }
  }

  #rng(...parts: (string | number)[]): Rng {
    return new Rng(`${this.seed}|${parts.join('|')}`);
  }

  /** The profile of a contractor, or of a school confirming its own milestone (drawn per school). */
  profile(assigneeId: string | null): AssigneeProfile {
    const id = assigneeId ?? '(none)';
    const known = this.#profiles.get(id);
    if (known) return known;
    const r = this.#rng('assignee', id).next();
    const s = this.rates.schoolPunctuality;
    const punctuality: Punctuality = r < s.reliable ? 'reliable' : r < s.reliable + s.average ? 'average' : 'late';
    const profile = { id, punctuality, rejectionRate: this.rates.rejection[punctuality] };
    this.#profiles.set(id, profile);
    return profile;
  }

  /** An instant on `date` (moved to the next working day when it is a day off) during working hours, from `rng`. */
  workingTime(rng: Rng, date: IsoDate): number {
    const day = nextWorkingDay(date);
    const minutes = rng.int(9 * 60, 18 * 60 - 1);
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return zonedInstant(day, `${hh}:${mm}`, this.timeZone).getTime();
  }

  /** A working time `days` days after the local date of `fromMs`, never before `fromMs` + one hour. */
  #after(rng: Rng, fromMs: number, days: number): number {
    const at = this.workingTime(rng, addDays(localDate(new Date(fromMs), this.timeZone), Math.max(0, Math.round(days))));
    return Math.max(at, fromMs + 3_600_000);
  }

  /** What will happen to a milestone that has just become active. */
  onActivated(m: ActiveMilestone): ActivationPlan {
    const rng = this.#rng('activate', m.schoolId, m.key);
    const start = localDate(new Date(m.startedAt), this.timeZone);
    const waive = this.rates.waive[m.key] ?? 0;
    if (rng.chance(waive)) {
      return {
        kind: 'waive',
        at: this.#after(rng, m.startedAt, rng.int(10, 60)),
        reason: WAIVE_REASONS[m.key] ?? 'Этап не требуется для школы',
      };
    }
    const profile = this.profile(m.assignee);
    const window = Math.max(0, daysBetween(start, m.deadline));
    const submitDay = this.#submissionDay(rng, profile.punctuality, window);
    const submitAt = this.#after(rng, m.startedAt, Math.max(14, submitDay));

    let hold: { at: number; resumeAt: number; reason: string } | null = null;
    if (rng.chance(this.rates.hold)) {
      const span = Math.max(1, (submitAt - m.startedAt) / DAY_MS);
      const at = this.#after(rng, m.startedAt, triangular(rng, 0.05, 0.4, 0.9) * span);
      const [lo, hi] = this.rates.holdDays;
      if (at < submitAt) hold = { at, resumeAt: this.#after(rng, at, rng.int(lo, hi)), reason: rng.pick(HOLD_REASONS) };
    }

    let reassignAt: number | null = null;
    const deadlineEnd = endOfLocalDay(m.deadline, this.timeZone).getTime();
    if (profile.punctuality === 'late' && submitAt > deadlineEnd + this.rates.reassignWhenLateByDays * DAY_MS) {
      const [lo, hi] = this.rates.reassignAfterDays;
      const at = this.#after(rng, deadlineEnd, rng.int(lo, hi));
      if (at < submitAt) reassignAt = at;
    }
    return { kind: 'work', submitAt, hold, reassignAt };
  }

  /**
   * Day of the first submission, counted from the start. Work is paced to the time left to the
   * deadline, but takes at most `MAX_PACE_DAYS` at its own pace (the onboarding of an early cohort has
   * three years, and does not need them): reliable assignees finish well inside that span, average
   * ones near its end and sometimes a little after, late ones often well after (past the deadline when
   * the span is the whole window).
   */
  #submissionDay(rng: Rng, punctuality: Punctuality, window: number): number {
    const span = Math.min(window, MAX_PACE_DAYS);
    switch (punctuality) {
      case 'reliable':
        return rng.chance(0.03) ? span + rng.int(1, 20) : triangular(rng, 0.15, 0.6, 0.97) * span;
      case 'average':
        return rng.chance(0.15) ? span + rng.int(1, 45) : triangular(rng, 0.3, 0.85, 1) * span;
      case 'late':
        return rng.chance(0.6) ? span + rng.int(30, 180) : triangular(rng, 0.6, 0.95, 1) * span;
    }
  }

  /** The coordinator's review of submission number `attempt` (0 for the first), made at `submittedAt`. */
  review(m: Pick<ActiveMilestone, 'schoolId' | 'key' | 'assignee'>, submittedAt: number, attempt: number): ReviewOutcome {
    const rng = this.#rng('review', m.schoolId, m.key, attempt);
    const [lo, hi] = this.rates.reviewDays;
    const at = this.#after(rng, submittedAt, rng.int(lo, hi));
    const p = this.profile(m.assignee).rejectionRate / 2 ** attempt;
    if (rng.chance(p)) return { at, verdict: 'reject', reason: rng.pick(REJECT_REASONS[m.key] ?? ['Документы неполные']) };
    return { at, verdict: 'accept', reason: null };
  }

  /** When the assignee submits again after a rejection (attempt ≥ 1 is the resubmission's number). */
  resubmitAt(m: Pick<ActiveMilestone, 'schoolId' | 'key' | 'assignee'>, rejectedAt: number, attempt: number): number {
    const rng = this.#rng('rework', m.schoolId, m.key, attempt);
    const [lo, hi] = { reliable: [3, 15], average: [5, 30], late: [10, 60] }[this.profile(m.assignee).punctuality] as [number, number];
    return this.#after(rng, rejectedAt, rng.int(lo, hi));
  }

  /** The contractor that takes over late work: one of `eligible` other than the current assignee, reliable ones first. */
  replacement(m: Pick<ActiveMilestone, 'schoolId' | 'key' | 'assignee'>, eligible: readonly string[]): string | null {
    const others = eligible.filter((id) => id !== m.assignee);
    if (others.length === 0) return null;
    const order: Record<Punctuality, number> = { reliable: 0, average: 1, late: 2 };
    const best = Math.min(...others.map((id) => order[this.profile(id).punctuality]));
    const candidates = others.filter((id) => order[this.profile(id).punctuality] === best);
    return this.#rng('replacement', m.schoolId, m.key).pick(candidates);
  }

  /** When a contractor that took over work at `reassignedAt` submits it. */
  submitAfterReassignment(m: Pick<ActiveMilestone, 'schoolId' | 'key'>, newAssignee: string, reassignedAt: number): number {
    const rng = this.#rng('takeover', m.schoolId, m.key, newAssignee);
    const [lo, hi] = { reliable: [20, 60], average: [30, 90], late: [45, 120] }[this.profile(newAssignee).punctuality] as [number, number];
    return this.#after(rng, reassignedAt, rng.int(lo, hi));
  }

  /** Evidence that meets the program's standard for the school, dated on the day of `atMs`. */
  evidence(def: MilestoneDefinition, school: School, atMs: number, attempt: number): Evidence {
    const rng = this.#rng('evidence', school.id, def.key, attempt);
    const actDate = localDate(new Date(atMs), this.timeZone);
    const actNumber = `${def.key.slice(0, 3).toUpperCase()}-${school.id}-${attempt + 1}`;
    switch (def.evidence) {
      case 'connection': {
        const min = requiredBandwidthMbps(school);
        return { kind: 'connection', actNumber, actDate, bandwidthMbps: rng.pick([min, min, 2 * min, min + 20]) };
      }
      case 'equipment': {
        const items = (Object.entries(school.plannedKit) as [KitItem, number | undefined][]).flatMap(([item, quantity]) =>
          quantity === undefined ? [] : [{ item, quantity }],
        );
        return { kind: 'equipment', actNumber, actDate, items: items.length > 0 ? items : [{ item: 'mfp', quantity: 0 }] };
      }
      case 'training':
        return { kind: 'training', actNumber, actDate, teachersTrained: school.teachersToTrain + rng.int(0, 2) };
      case 'onboarding':
        return {
          kind: 'onboarding',
          actNumber,
          actDate,
          teacherAccounts: Math.max(1, school.teachersToTrain) + rng.int(0, 5),
          studentAccounts: school.students ?? 1,
        };
      case 'content-filter':
        return {
          kind: 'content-filter',
          filterName: rng.pick(['SkyDNS', 'Интернет Цензор', 'NetPolice']),
          registryEntry: `${rng.int(1000, 20000)}`,
          enabledOn: actDate,
        };
    }
  }
}
