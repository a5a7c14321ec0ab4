/**
 * The vocabulary of the system: programs, schools, contractors, milestone state, commands and events.
 * Every type is a zod schema first; the TypeScript type is inferred from it, so anything that crosses a
 * boundary (API body, Lambda event, stored item read back) is validated by the same definition.
 */
import { z } from 'zod';
import { isCalendarDate } from '../calendar.js';

// ---------- basic values ----------

/** Calendar date, `YYYY-MM-DD`, checked to be a real date. */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine(isCalendarDate, 'not a calendar date');
export type IsoDate = z.infer<typeof IsoDate>;

/** Instant, ISO 8601 with a zone (`2024-01-31T09:00:00.000Z` or `+06:00`). */
export const IsoInstant = z.iso.datetime({ offset: true });
export type IsoInstant = z.infer<typeof IsoInstant>;

/** Identifiers that end up inside keys, paths and URLs: no separators, no traversal. */
export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" and "_" only, at most 64');
export type Id = z.infer<typeof Id>;

export const LocalizedText = z.object({ ru: z.string().min(1), en: z.string().min(1) }).strict();
export type LocalizedText = z.infer<typeof LocalizedText>;

export const MilestoneKey = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lower-case key, e.g. "connection"');
export type MilestoneKey = z.infer<typeof MilestoneKey>;

// ---------- organisations and people ----------

/** The kinds of contractor organisation the program works with. */
export const ContractorKind = z.enum(['internet-provider', 'equipment-supplier', 'training-provider', 'platform-operator']);
export type ContractorKind = z.infer<typeof ContractorKind>;

/** Who does the work of a milestone: a contractor of a kind, or the school itself. */
export const AssigneeKind = z.enum([...ContractorKind.options, 'school']);
export type AssigneeKind = z.infer<typeof AssigneeKind>;

/** The roles of DESIGN.md §2, one group each in the user directory, most powerful first (a user in several groups acts with the first). */
export const Role = z.enum(['program-manager', 'district-coordinator', 'contractor', 'school-staff', 'viewer']);
export type Role = z.infer<typeof Role>;

/** The author of a command: a signed-in user (claims from the token) or the system itself. */
export const Actor = z.discriminatedUnion('role', [
  z.object({ role: z.literal('program-manager'), sub: z.string().min(1), name: z.string().optional() }).strict(),
  z.object({ role: z.literal('district-coordinator'), sub: z.string().min(1), name: z.string().optional(), district: Id }).strict(),
  z.object({ role: z.literal('contractor'), sub: z.string().min(1), name: z.string().optional(), org: Id }).strict(),
  /** The director of a school or a delegate: sees the whole school, signs off its milestones, does the school's own work. */
  z.object({ role: z.literal('school-staff'), sub: z.string().min(1), name: z.string().optional(), school: Id }).strict(),
  z.object({ role: z.literal('viewer'), sub: z.string().min(1), name: z.string().optional() }).strict(),
  z.object({ role: z.literal('system'), sub: z.literal('system'), name: z.string().optional() }).strict(),
]);
export type Actor = z.infer<typeof Actor>;
export const SYSTEM: Actor = { role: 'system', sub: 'system' };

export const District = z
  .object({
    id: Id,
    nameRu: z.string().min(1),
    nameEn: z.string().min(1),
    centerRu: z.string().min(1),
    centerIsTown: z.boolean(),
  })
  .strict();
export type District = z.infer<typeof District>;

/**
 * A contract of a contractor: for one milestone of the program, covering the schools listed and every
 * school of the districts listed (both empty: the whole region), from its date to its end date inclusive.
 */
export const Contract = z
  .object({
    number: z.string().trim().min(1).max(64),
    date: IsoDate,
    milestone: MilestoneKey,
    districts: z.array(Id).max(100).default([]),
    schools: z.array(Id).max(5000).default([]),
    endDate: IsoDate,
  })
  .strict()
  .refine((c) => c.endDate >= c.date, { message: 'the end date is before the contract date', path: ['endDate'] });
export type Contract = z.infer<typeof Contract>;

export const Contractor = z
  .object({
    id: Id,
    name: z.string().trim().min(1).max(300),
    kind: ContractorKind,
    /** Districts it serves; empty means the whole region. */
    districts: z.array(Id).max(100).default([]),
    /** Contact e-mails (notifications to the organisation). */
    emails: z.array(z.email()).max(20).default([]),
    /** An inactive contractor keeps its history but is never assigned new work. */
    active: z.boolean().default(true),
    contracts: z.array(Contract).max(200).default([]),
  })
  .strict();
export type Contractor = z.infer<typeof Contractor>;

// ---------- schools ----------

/** The computer and presentation kit of the program (DESIGN.md §1). */
export const KitItem = z.enum(['teacher-laptop', 'student-laptop', 'mfp', 'interactive-panel', 'network-equipment']);
export type KitItem = z.infer<typeof KitItem>;

export const Kit = z.partialRecord(KitItem, z.number().int().min(0).max(10_000));
export type Kit = z.infer<typeof Kit>;

export const CohortYear = z.number().int().min(2021).max(2024);

export const SchoolArchive = z
  .object({
    on: IsoDate,
    reason: z.enum(['closed', 'merged']),
    /** The school it merged into (reason `merged` only). */
    mergedInto: Id.optional(),
  })
  .strict()
  .refine((a) => (a.reason === 'merged') === (a.mergedInto !== undefined), {
    message: 'a merged school names the school it merged into, a closed one none',
    path: ['mergedInto'],
  });
export type SchoolArchive = z.infer<typeof SchoolArchive>;

export const School = z
  .object({
    id: Id,
    name: z.string().min(1).max(300),
    district: Id,
    locality: z.string().min(1).max(120),
    /** Urban schools need 100 Mbit/s, rural 50 Mbit/s. */
    urban: z.boolean(),
    cohortYear: CohortYear,
    plannedKit: Kit,
    teachersToTrain: z.number().int().min(0).max(1_000),
    students: z.number().int().min(0).max(10_000).optional(),
    /**
     * A school that closed or merged into another: it keeps its history and leaves the targets'
     * denominators from `on`.
     */
    archived: SchoolArchive.optional(),
    /**
     * The version of the program the school follows (absent: version 1, the reference program). Changed
     * only by a migration, never by a profile edit.
     */
    programVersion: z.number().int().min(1).max(99_999_999).optional(),
  })
  .strict();
export type School = z.infer<typeof School>;

/** The version of the program a school follows. */
export function programVersionOf(school: Pick<School, 'programVersion'>): number {
  return school.programVersion ?? 1;
}

/** The profile fields a program manager or the school's coordinator may change after import. */
export const SchoolProfileFields = [
  'name',
  'district',
  'locality',
  'urban',
  'cohortYear',
  'plannedKit',
  'teachersToTrain',
  'students',
] as const;

// ---------- the program ----------

/** How a milestone's planned start or deadline is derived for a school. */
export const DateRule = z.discriminatedUnion('kind', [
  /** A fixed calendar date for every school. */
  z.object({ kind: z.literal('fixed'), date: IsoDate }).strict(),
  /** A month/day in the school's cohort year (e.g. 1 December of the cohort year). */
  z.object({ kind: z.literal('cohort-year'), month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31) }).strict(),
  /** 1 January of the school's cohort year plus an offset in days (a planned start per cohort). */
  z.object({ kind: z.literal('cohort-start'), offsetDays: z.number().int().min(-366).max(366).default(0) }).strict(),
  /** The same date as another milestone's rule of the same name (e.g. training "with the equipment"). */
  z.object({ kind: z.literal('same-as'), milestone: MilestoneKey }).strict(),
]);
export type DateRule = z.infer<typeof DateRule>;

export const EscalationLevel = z.enum(['assignee', 'district-coordinator', 'program-manager']);
export type EscalationLevel = z.infer<typeof EscalationLevel>;

export const ReminderPolicy = z
  .object({
    /** Reminders this many days before the deadline. */
    daysBefore: z.array(z.number().int().min(1).max(365)).default([30, 7, 1]),
    /** Then one every N days while overdue. */
    overdueEveryDays: z.number().int().min(1).max(90).default(7),
    /** Local time of day the reminders go out (from). */
    localTime: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .default('09:00'),
    /**
     * The reminders of one milestone go out this many minutes after `localTime` at the latest: each
     * milestone of each school at its own second of the window (a hash of the school and the milestone,
     * the same for all its reminders). A cohort's milestones share their deadlines, so without a window
     * every lifecycle of the cohort would wake in one second; at the national scale that is tens of
     * thousands of Lambda invocations at once, beyond the account's concurrency (README, "The national
     * scale"). 0: all at `localTime` exactly.
     */
    spreadMinutes: z.number().int().min(0).max(360).default(120),
    /**
     * A reminder that falls on a day off of the Russian production calendar (weekend, public holiday, a
     * day off moved by the yearly decree) goes out on the next working day.
     */
    onWorkingDays: z.boolean().default(true),
    /** Who is told when the milestone is overdue by at least N days. */
    escalation: z.array(z.object({ afterDaysOverdue: z.number().int().min(0).max(365), to: EscalationLevel }).strict()).default([
      { afterDaysOverdue: 1, to: 'district-coordinator' },
      { afterDaysOverdue: 14, to: 'program-manager' },
    ]),
  })
  .strict()
  .refine((p) => minutesOfDay(p.localTime) + p.spreadMinutes < 24 * 60, {
    message: 'the reminders must go out on their day: localTime plus spreadMinutes must end before midnight',
    path: ['spreadMinutes'],
  });
export type ReminderPolicy = z.infer<typeof ReminderPolicy>;

function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export const EvidenceKind = z.enum(['connection', 'equipment', 'training', 'onboarding', 'content-filter']);
export type EvidenceKind = z.infer<typeof EvidenceKind>;

/** Who may sign off a submission before it is accepted: the school's staff, or the school's district coordinator. */
export const SignOffRole = z.enum(['school-staff', 'district-coordinator']);
export type SignOffRole = z.infer<typeof SignOffRole>;
/** What a document is, as the program names it (`work-act`, `speed-test`, `acceptance-act`, `photo`…). */
export const DocumentType = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lower-case document type, e.g. "work-act"');
export type DocumentType = z.infer<typeof DocumentType>;

/** A kind of document a milestone's evidence takes; a required one must be attached before submitting. */
export const DocumentRule = z
  .object({
    type: DocumentType,
    title: LocalizedText,
    required: z.boolean().default(true),
  })
  .strict();
export type DocumentRule = z.infer<typeof DocumentRule>;

export const MilestoneDefinition = z
  .object({
    key: MilestoneKey,
    title: LocalizedText,
    doneWhen: LocalizedText,
    dependsOn: z.array(MilestoneKey).default([]),
    plannedStart: DateRule,
    deadline: DateRule,
    evidence: EvidenceKind,
    /** The documents the evidence takes (the evidence rules); only these types can be uploaded. */
    documents: z.array(DocumentRule).default([]),
    assignee: AssigneeKind,
    /**
     * The sign-offs a submission needs, in this order, before a program manager or coordinator may accept
     * it (none: acceptance follows the submission directly). A rejection or a new submission starts over.
     */
    signOffs: z.array(SignOffRole).max(4).default([]),
    reminders: ReminderPolicy.default(ReminderPolicy.parse({})),
  })
  .strict()
  .refine((m) => new Set(m.signOffs).size === m.signOffs.length, { message: 'a role signs off a submission once', path: ['signOffs'] });
export type MilestoneDefinition = z.infer<typeof MilestoneDefinition>;

/**
 * A target of the overview: `share` of the schools have completed (or been waived from) `milestone` by
 * `date`. `scope: 'all'` counts every school of the region; `scope: 'cohorts-due'` counts only the schools
 * whose cohort year is not after the target's year (equipment of the 2022 cohort is due in 2022, so by
 * 2022-12-01 the target covers the 2021 and 2022 cohorts: a cumulative share of cohorts).
 */
export const ProgramTarget = z
  .object({
    milestone: MilestoneKey,
    date: IsoDate,
    share: z.number().min(0).max(1),
    scope: z.enum(['all', 'cohorts-due']).default('all'),
  })
  .strict();
export type ProgramTarget = z.infer<typeof ProgramTarget>;

export const ProgramDefinition = z
  .object({
    id: Id,
    title: LocalizedText,
    timeZone: z.string().min(1),
    /** Targets for the overview: share of schools done by a date. */
    targets: z.array(ProgramTarget).default([]),
    milestones: z.array(MilestoneDefinition).min(1),
  })
  .strict();
export type ProgramDefinition = z.infer<typeof ProgramDefinition>;

// ---------- evidence ----------

const Act = { actNumber: z.string().trim().min(1).max(64), actDate: IsoDate };

export const Evidence = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('connection'), ...Act, bandwidthMbps: z.number().positive().max(100_000) }).strict(),
  z
    .object({
      kind: z.literal('equipment'),
      ...Act,
      items: z.array(z.object({ item: KitItem, quantity: z.number().int().min(0).max(10_000) }).strict()).min(1),
    })
    .strict(),
  z.object({ kind: z.literal('training'), ...Act, teachersTrained: z.number().int().min(0).max(1_000) }).strict(),
  z
    .object({
      kind: z.literal('onboarding'),
      ...Act,
      teacherAccounts: z.number().int().min(0).max(10_000),
      studentAccounts: z.number().int().min(0).max(100_000),
    })
    .strict(),
  /** A content-filtering system at the school: which filter, its entry in the software registry, and the day it was switched on. */
  z
    .object({
      kind: z.literal('content-filter'),
      filterName: z.string().trim().min(1).max(200),
      registryEntry: z.string().trim().min(1).max(64),
      enabledOn: IsoDate,
    })
    .strict(),
]);
export type Evidence = z.infer<typeof Evidence>;

/** The file types a document may have, told apart by their first bytes. */
export const DocumentContentType = z.enum(['application/pdf', 'image/jpeg', 'image/png']);
export type DocumentContentType = z.infer<typeof DocumentContentType>;

/** A document as a submission and its audit event carry it: what it is and the hash of its bytes. */
export const DocumentRef = z
  .object({
    id: Id,
    type: DocumentType,
    contentType: DocumentContentType,
    size: z.number().int().min(1),
    /** SHA-256 of the bytes, lower-case hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type DocumentRef = z.infer<typeof DocumentRef>;

// ---------- milestone state ----------

/**
 * pending    – not started yet (dependencies not done or planned start not reached)
 * active     – assigned, waiting for the contractor's submission
 * submitted  – evidence submitted, waiting for the manager's acceptance
 * on-hold    – paused by a manager; `resumeTo` says where it goes back
 * completed  – accepted (terminal)
 * waived     – not required for this school, with a reason (terminal)
 */
export const MilestoneStatus = z.enum(['pending', 'active', 'submitted', 'on-hold', 'completed', 'waived']);
export type MilestoneStatus = z.infer<typeof MilestoneStatus>;
export const TERMINAL_STATUSES: readonly MilestoneStatus[] = ['completed', 'waived'];

/** One sign-off of a submission: who signed, when, and what they measured or noted at the school. */
export const SignOff = z
  .object({
    role: SignOffRole,
    sub: z.string().min(1),
    at: IsoInstant,
    /** The bandwidth measured at the school (connection milestones). */
    measuredMbps: z.number().positive().max(100_000).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();
export type SignOff = z.infer<typeof SignOff>;

export const MilestoneState = z
  .object({
    schoolId: Id,
    key: MilestoneKey,
    status: MilestoneStatus,
    /** Optimistic-concurrency version; grows by one with every committed event. */
    version: z.number().int().min(0),
    assignee: Id.nullable(),
    plannedStart: IsoDate,
    deadline: IsoDate,
    evidence: Evidence.nullable(),
    resumeTo: z.enum(['pending', 'active', 'submitted']).nullable(),
    note: z.string().nullable(),
    startedAt: IsoInstant.nullable(),
    submittedAt: IsoInstant.nullable(),
    closedAt: IsoInstant.nullable(),
    updatedAt: IsoInstant,
    /** Number of rejections so far. */
    rejections: z.number().int().min(0),
    /** The sign-offs the current submission has had, in order (see `MilestoneDefinition.signOffs`). */
    signOffs: z.array(SignOff).default([]),
  })
  .strict();
export type MilestoneState = z.infer<typeof MilestoneState>;

// ---------- commands ----------

const Reason = z.string().trim().min(3, 'give a reason (at least 3 characters)').max(2000);

export const CommandBody = {
  start: z.object({ assignee: Id.optional() }).strict(),
  submit: z.object({ evidence: Evidence }).strict(),
  accept: z.object({ note: z.string().max(2000).optional() }).strict(),
  reject: z.object({ reason: Reason }).strict(),
  hold: z.object({ reason: Reason }).strict(),
  resume: z.object({ note: z.string().max(2000).optional() }).strict(),
  waive: z.object({ reason: Reason }).strict(),
  reassign: z.object({ contractor: Id, reason: z.string().max(2000).optional() }).strict(),
  reschedule: z.object({ deadline: IsoDate, reason: Reason }).strict(),
  /** A sign-off of the submission (school staff: the connection works, the equipment arrived). */
  signoff: z
    .object({
      measuredMbps: z
        .number()
        .positive()
        .max(100_000)
        .optional()
        .describe('The bandwidth measured at the school (connection milestones: required)'),
      note: z.string().max(2000).optional(),
    })
    .strict(),
  /** The school's plan changed (its profile): new planned start and deadline, from the program's rules. */
  replan: z.object({ plannedStart: IsoDate, deadline: IsoDate, reason: Reason }).strict(),
} as const;

export const CommandType = z.enum([
  'start',
  'submit',
  'accept',
  'reject',
  'hold',
  'resume',
  'waive',
  'reassign',
  'reschedule',
  'signoff',
  'replan',
]);
export type CommandType = z.infer<typeof CommandType>;

export const Command = z.discriminatedUnion('type', [
  CommandBody.start.extend({ type: z.literal('start') }),
  CommandBody.submit.extend({ type: z.literal('submit') }),
  CommandBody.accept.extend({ type: z.literal('accept') }),
  CommandBody.reject.extend({ type: z.literal('reject') }),
  CommandBody.hold.extend({ type: z.literal('hold') }),
  CommandBody.resume.extend({ type: z.literal('resume') }),
  CommandBody.waive.extend({ type: z.literal('waive') }),
  CommandBody.reassign.extend({ type: z.literal('reassign') }),
  CommandBody.reschedule.extend({ type: z.literal('reschedule') }),
  CommandBody.signoff.extend({ type: z.literal('signoff') }),
  CommandBody.replan.extend({ type: z.literal('replan') }),
]);
export type Command = z.infer<typeof Command>;

// ---------- events (the audit log) ----------

const EventBase = {
  schoolId: Id,
  milestone: MilestoneKey,
  at: IsoInstant,
  actor: Actor,
  /** The milestone version this event produced. */
  version: z.number().int().min(1),
};

export const MilestoneEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), ...EventBase, assignee: Id.nullable(), deadline: IsoDate }).strict(),
  z.object({ type: z.literal('submitted'), ...EventBase, evidence: Evidence, documents: z.array(DocumentRef).optional() }).strict(),
  z.object({ type: z.literal('accepted'), ...EventBase, note: z.string().optional() }).strict(),
  z.object({ type: z.literal('rejected'), ...EventBase, reason: z.string() }).strict(),
  z.object({ type: z.literal('held'), ...EventBase, reason: z.string() }).strict(),
  z.object({ type: z.literal('resumed'), ...EventBase, note: z.string().optional() }).strict(),
  z.object({ type: z.literal('waived'), ...EventBase, reason: z.string() }).strict(),
  z.object({ type: z.literal('reassigned'), ...EventBase, from: Id.nullable(), to: Id, reason: z.string().optional() }).strict(),
  z.object({ type: z.literal('rescheduled'), ...EventBase, from: IsoDate, to: IsoDate, reason: z.string() }).strict(),
  z.object({ type: z.literal('signed-off'), ...EventBase, signOff: SignOff }).strict(),
  /** The school's profile changed its plan: planned start and deadline as the program's rules now give them. */
  z
    .object({
      type: z.literal('replanned'),
      ...EventBase,
      plannedStart: z.object({ from: IsoDate, to: IsoDate }).strict(),
      deadline: z.object({ from: IsoDate, to: IsoDate }).strict(),
      reason: z.string(),
    })
    .strict(),
  /** A reminder or escalation went out (the notification itself is an outbox item). */
  z
    .object({
      type: z.literal('reminded'),
      ...EventBase,
      reminderId: z.string().min(1),
      level: EscalationLevel,
      daysToDeadline: z.number().int(),
    })
    .strict(),
]);
export type MilestoneEvent = z.infer<typeof MilestoneEvent>;
export type MilestoneEventType = MilestoneEvent['type'];

// ---------- notifications (outbox) ----------

/** Who receives a notification: a contractor org, a district's coordinators, the program managers, or the viewers. */
export const NotificationRecipient = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contractor'), org: Id }).strict(),
  z.object({ type: z.literal('district-coordinator'), district: Id }).strict(),
  z.object({ type: z.literal('program-manager') }).strict(),
  z.object({ type: z.literal('viewer') }).strict(),
]);
export type NotificationRecipient = z.infer<typeof NotificationRecipient>;

/** A reminder, escalation or status change of one school's milestone. */
export const MilestoneNotification = z
  .object({
    /** Deterministic: the same reminder computed twice has the same id, so it is sent once. */
    id: z.string().min(1).max(200),
    schoolId: Id,
    milestone: MilestoneKey,
    kind: z.enum(['reminder', 'escalation', 'status']),
    level: EscalationLevel,
    recipient: NotificationRecipient,
    subject: LocalizedText,
    body: LocalizedText,
    createdAt: IsoInstant,
    deadline: IsoDate,
  })
  .strict();
export type MilestoneNotification = z.infer<typeof MilestoneNotification>;

/** The weekly digest for leadership: region-wide, tied to no school or milestone, one per week and recipient role. */
export const DigestNotification = z
  .object({
    /** Deterministic per week and recipient role (`weekly-digest:<monday>:<role>`), so a week's digest is written once. */
    id: z.string().min(1).max(200),
    kind: z.literal('weekly-digest'),
    /** The Monday of the week the digest is for. */
    week: IsoDate,
    /** The date its figures are as of. */
    asOf: IsoDate,
    recipient: z.discriminatedUnion('type', [
      z.object({ type: z.literal('program-manager') }).strict(),
      z.object({ type: z.literal('viewer') }).strict(),
    ]),
    subject: LocalizedText,
    body: LocalizedText,
    createdAt: IsoInstant,
  })
  .strict();
export type DigestNotification = z.infer<typeof DigestNotification>;

export const Notification = z.discriminatedUnion('kind', [MilestoneNotification, DigestNotification]);
export type Notification = z.infer<typeof Notification>;

// ---------- administration (the audit of the register and of school profiles) ----------

/**
 * A change to the contractor register or to a school's profile, by whom and when, field by field. The
 * milestone events above are the audit of the work; these are the audit of the data the work depends on.
 */
export const AdminEvent = z
  .object({
    subject: z.object({ type: z.enum(['contractor', 'school']), id: Id }).strict(),
    /** `programVersionChanged`: a migration moved the school to another program version (change `programVersion`, from/to). */
    type: z.enum(['created', 'updated', 'deactivated', 'reactivated', 'archived', 'imported', 'programVersionChanged']),
    at: IsoInstant,
    actor: Actor,
    /** The subject's version this change produced (1 for a creation). */
    version: z.number().int().min(1),
    changes: z.array(z.object({ field: z.string().min(1), from: z.unknown(), to: z.unknown() }).strict()),
    reason: z.string().max(2000).optional(),
  })
  .strict();
export type AdminEvent = z.infer<typeof AdminEvent>;
