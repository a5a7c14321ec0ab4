/**
 * The HTTP API's request and response shapes, as zod schemas (the OpenAPI 3.1 document at
 * `/openapi.json` is generated from them, and any client — the dashboard, the tests — can validate
 * what it receives with the same definitions).
 *
 * Paths (all JSON unless said otherwise; errors are `application/problem+json`, see `Problem`):
 *   GET  /healthz
 *   GET  /openapi.json, /docs
 *   GET  /api/me                                   -> Me
 *   GET  /api/me/assignments?limit=&cursor=        -> AssignmentList (soonest deadline first)
 *   GET  /api/schools?SchoolListQuery              -> SchoolList
 *   GET  /api/schools/{schoolId}                   -> SchoolDetail
 *   GET  /api/schools/{schoolId}/history           -> HistoryPage
 *   POST /api/schools/{schoolId}/milestones/{milestone}/{action}  body CommandBody[action] -> CommandResult
 *        headers: Idempotency-Key (optional), If-Match (optional, the milestone version, `"3"` or `3`)
 *   POST /api/bulk/{action}                        body BulkRequest(action) -> 202 Job
 *   GET  /api/jobs/{jobId}                         -> Job
 *   POST /api/imports/schools                      body text/csv -> 202 Job (kind import)
 *   GET  /api/reports/progress?asOf=&groupBy=district|settlement|district-size[&format=csv]  -> ProgressReport (or text/csv)
 *   GET  /api/reports/contractors?asOf=&format=  -> Scorecards (or text/csv)
 *   GET  /api/notifications?limit=&cursor=         -> NotificationList (newest first)
 */
import { z } from 'zod';
import { GROUP_BY } from '../domain/equal-conditions.js';
import {
  Actor,
  CommandBody,
  CommandType,
  Id,
  IsoDate,
  IsoInstant,
  LocalizedText,
  MilestoneEvent,
  MilestoneKey,
  MilestoneState,
  MilestoneStatus,
  MilestoneNotification,
  DigestNotification,
  Role,
  School,
} from '../program/model.js';

// ---------- errors (RFC 9457) ----------

export const FieldError = z
  .object({
    /** Where the problem is: a JSON pointer-like dotted path (`evidence.bandwidthMbps`), a header, a query field, or a CSV column. */
    field: z.string(),
    reason: z.string(),
    /** For CSV imports: the 1-based line of the file the problem is on. */
    line: z.number().int().min(1).optional(),
    /** For CSV imports: the column name. */
    column: z.string().optional(),
  })
  .strict()
  .meta({ id: 'FieldError' });
export type FieldError = z.infer<typeof FieldError>;

export const Problem = z
  .object({
    type: z.string().describe('A URI naming the kind of problem (e.g. `/problems/validation`), `about:blank` for plain HTTP errors'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional().describe('The request path'),
    /** The rejection code of the domain, when a command was refused (`forbidden`, `not-allowed`, `dependency`, `invalid-evidence`, `invalid`, `version-conflict`). */
    code: z.string().optional(),
    errors: z.array(FieldError).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof Problem>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

// ---------- common ----------

export const Health = z
  .object({ status: z.literal('ok'), time: IsoInstant })
  .strict()
  .meta({ id: 'Health' });
export type Health = z.infer<typeof Health>;

/** An opaque pagination cursor: pass `nextCursor` back as `cursor` to get the next page. */
export const Cursor = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor returned by this API');

export const Limit = z.coerce.number().int().min(1).max(200);

const BooleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

// ---------- me ----------

export const Me = z
  .object({
    sub: z.string(),
    role: Role,
    name: z.string().nullable(),
    email: z.string().nullable(),
    /** District coordinators only. */
    district: Id.nullable(),
    /** Contractors only: the organization. */
    org: Id.nullable(),
    /** School staff only: the school. */
    school: Id.nullable(),
  })
  .strict()
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

// ---------- milestones and schools ----------

/** A milestone as the API shows it: the stored state plus what is derived from it. */
export const MilestoneView = MilestoneState.extend({
  title: LocalizedText,
  /** Past its deadline and neither completed nor waived (as of the server's clock). */
  overdue: z.boolean(),
}).meta({ id: 'Milestone' });
export type MilestoneView = z.infer<typeof MilestoneView>;

export const MilestoneSummary = z
  .object({
    key: MilestoneKey,
    status: MilestoneStatus,
    assignee: Id.nullable(),
    deadline: IsoDate,
    overdue: z.boolean(),
    version: z.number().int().min(0),
    closedAt: IsoInstant.nullable(),
  })
  .strict()
  .meta({ id: 'MilestoneSummary' });
export type MilestoneSummary = z.infer<typeof MilestoneSummary>;

export const SchoolListItem = School.extend({ milestones: z.array(MilestoneSummary) }).meta({ id: 'SchoolListItem' });
export type SchoolListItem = z.infer<typeof SchoolListItem>;

export const SchoolListQuery = z
  .object({
    district: Id.optional(),
    /** With `status` and/or `overdue`: the milestone those filters look at; alone: schools that have this milestone. */
    milestone: MilestoneKey.optional(),
    status: MilestoneStatus.optional(),
    overdue: BooleanParam.optional(),
    /** Case-insensitive substring of the school's name, id or locality. */
    q: z.string().trim().min(1).max(100).optional(),
    limit: Limit.default(25),
    cursor: Cursor.optional(),
  })
  .strict()
  .meta({ id: 'SchoolListQuery' });
export type SchoolListQuery = z.infer<typeof SchoolListQuery>;

export const SchoolList = z
  .object({ items: z.array(SchoolListItem), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: 'SchoolList' });
export type SchoolList = z.infer<typeof SchoolList>;

export const SchoolDetail = z
  .object({
    school: School,
    /** The profile's version (If-Match of an edit). */ version: z.number().int().min(0),
    /** The program version the milestones are shown as: the school's own, or the one asked for with `asOfVersion`. */
    programVersion: z.number().int().min(1).optional(),
    milestones: z.array(MilestoneView),
  })
  .strict()
  .meta({ id: 'SchoolDetail' });
export type SchoolDetail = z.infer<typeof SchoolDetail>;

export const SchoolReadQuery = z
  .object({
    asOfVersion: z.coerce
      .number()
      .int()
      .min(1)
      .max(99_999_999)
      .optional()
      .describe('Show the milestones as this published program version plans them (default: the version the school follows)'),
  })
  .strict();

export const HistoryQuery = z.object({ limit: Limit.default(100), cursor: Cursor.optional() }).strict();
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryPage = z
  .object({ items: z.array(MilestoneEvent), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: 'HistoryPage' });
export type HistoryPage = z.infer<typeof HistoryPage>;

export const SchoolParams = z.object({ schoolId: Id }).strict();

// ---------- assignments ----------

export const Assignment = z
  .object({
    schoolId: Id,
    schoolName: z.string(),
    district: Id,
    milestone: MilestoneKey,
    title: LocalizedText,
    status: MilestoneStatus,
    deadline: IsoDate,
    overdue: z.boolean(),
    version: z.number().int().min(0),
  })
  .strict()
  .meta({ id: 'Assignment' });
export type Assignment = z.infer<typeof Assignment>;

export const AssignmentQuery = z.object({ limit: Limit.default(50), cursor: Cursor.optional() }).strict();
export type AssignmentQuery = z.infer<typeof AssignmentQuery>;

export const AssignmentList = z
  .object({ items: z.array(Assignment), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: 'AssignmentList' });
export type AssignmentList = z.infer<typeof AssignmentList>;

// ---------- commands ----------

export const ActionName = CommandType;
export type ActionName = CommandType;
export { CommandBody };

export const CommandResult = z
  .object({
    milestone: MilestoneView,
    /** The events this command produced (empty when an idempotent replay answered). */
    events: z.array(MilestoneEvent),
  })
  .strict()
  .meta({ id: 'CommandResult' });
export type CommandResult = z.infer<typeof CommandResult>;

// ---------- bulk jobs ----------

export const BulkFilter = z
  .object({
    district: Id.optional(),
    status: MilestoneStatus.optional(),
    overdue: z.boolean().optional(),
    q: z.string().trim().min(1).max(100).optional(),
    /** An explicit set of schools (still narrowed by the other filters and by the caller's authority). */
    schoolIds: z.array(Id).min(1).max(1000).optional(),
  })
  .strict()
  .meta({ id: 'BulkFilter' });
export type BulkFilter = z.infer<typeof BulkFilter>;

/** The body of `POST /api/bulk/{action}`: which milestone, which schools, and the action's own body. */
export function bulkRequestSchema<A extends CommandType>(action: A) {
  return z.object({ milestone: MilestoneKey, filter: BulkFilter.default({}), body: CommandBody[action] }).strict();
}
export const BulkRequest = z
  .object({
    milestone: MilestoneKey,
    filter: BulkFilter.default({}),
    body: z.record(z.string(), z.unknown()).describe('The body of the single-school action of the same name'),
  })
  .strict()
  .meta({ id: 'BulkRequest' });
export type BulkRequest = z.infer<typeof BulkRequest>;

export const JobStatus = z.enum(['queued', 'running', 'done', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobOutcome = z
  .object({
    schoolId: Id,
    /**
     * `skipped`: the school's milestone did not match the filter's status/overdue when the job reached it.
     * For an import, `ok` is a school this job created and `rejected` (409, `already-exists`) one that
     * another import created first.
     */
    outcome: z.enum(['ok', 'rejected', 'skipped', 'error']),
    /** The HTTP status the single-school command would have answered (0 when skipped). */
    status: z.number().int(),
    code: z.string().optional(),
    detail: z.string().optional(),
    version: z.number().int().optional(),
    milestoneStatus: MilestoneStatus.optional(),
  })
  .strict()
  .meta({ id: 'JobOutcome' });
export type JobOutcome = z.infer<typeof JobOutcome>;

/** `bulk`: one command on one milestone of the schools a filter selects; `import`: the rows of a schools CSV file. */
export const JobKind = z.enum(['bulk', 'import', 'migration']);
export type JobKind = z.infer<typeof JobKind>;

export const Job = z
  .object({
    id: Id,
    kind: JobKind,
    /** The command of a bulk job; null for an import. */
    action: CommandType.nullable(),
    /** The milestone of a bulk job; null for an import. */
    milestone: MilestoneKey.nullable(),
    filter: BulkFilter,
    status: JobStatus,
    /** Runs started so far; a run that stops part way (timeout, crash) is resumed by the next, up to the limit. */
    attempts: z.number().int().min(0),
    createdAt: IsoInstant,
    updatedAt: IsoInstant,
    createdBy: Actor,
    total: z.number().int().min(0).nullable(),
    processed: z.number().int().min(0),
    succeeded: z.number().int().min(0),
    failed: z.number().int().min(0),
    skipped: z.number().int().min(0),
    results: z.array(JobOutcome),
    /** Why the job failed; while it is still running, why its last run stopped. */
    error: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

export const JobParams = z.object({ jobId: Id }).strict();

// ---------- reports ----------

export const ProgressQuery = z
  .object({
    asOf: IsoDate.optional(),
    /**
     * Rows per district, per settlement (`urban`, `rural`) or per district-size class (`small` up to 15
     * schools, `medium` 16–49, `large` 50 or more), the last two with the gap between their groups.
     */
    groupBy: z.enum(GROUP_BY).default('district'),
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict();
export type ProgressQuery = z.infer<typeof ProgressQuery>;

/** One KPI definition (shared/domain/kpi.ts): reached = completed or waived, archived schools not counted. */
export const ProgressCell = z
  .object({
    /** The denominator: the group's counted schools whose program version has the milestone. */
    schools: z.number().int().min(0),
    /** Schools whose milestone was accepted on or before `asOf` (the end of that day in the program's time zone). */
    completed: z.number().int().min(0),
    /** Schools for which the milestone was waived on or before `asOf`. */
    waived: z.number().int().min(0),
    /** completed + waived: the schools that reached the milestone. */
    reached: z.number().int().min(0),
    /** reached / schools (0 when there are no schools). */
    share: z.number().min(0).max(1),
  })
  .strict()
  .meta({ id: 'ProgressCell' });

export const ProgressRow = z
  .object({
    /** A district id, `urban`/`rural`, or `small`/`medium`/`large`, after `groupBy`. */
    group: z.string().min(1),
    /** The district, when grouped by district. */
    district: Id.optional(),
    schools: z.number().int().min(0),
    /** Per milestone key. */
    milestones: z.record(MilestoneKey, ProgressCell),
  })
  .strict()
  .meta({ id: 'ProgressRow' });
export type ProgressRow = z.infer<typeof ProgressRow>;

export const ProgressGap = z
  .object({
    /** The groups compared: the share of the first minus the share of the second (rural − urban, small − large). */
    between: z.tuple([z.string(), z.string()]),
    /** Per milestone key, in percentage points (null when a group has no school). */
    points: z.record(MilestoneKey, z.number().nullable()),
  })
  .strict()
  .meta({ id: 'ProgressGap' });

export const TargetStatus = z
  .object({
    milestone: MilestoneKey,
    date: IsoDate,
    /** The share the programme version expects. */
    target: z.number().min(0).max(1),
    scope: z.enum(['all', 'cohorts-due']),
    /** Counted schools in the target's scope. */
    counted: z.number().int().min(0),
    /** Of those, reached by `asOf` (or by the target's date, when that comes first). */
    reached: z.number().int().min(0),
    share: z.number().min(0).max(1),
    /** Whether the target was met at its date; null before that date. */
    met: z.boolean().nullable(),
  })
  .strict()
  .meta({ id: 'TargetStatus' });

export const ProgressReport = z
  .object({
    asOf: IsoDate,
    groupBy: z.enum(GROUP_BY),
    milestones: z.array(MilestoneKey),
    rows: z.array(ProgressRow),
    total: ProgressRow.omit({ group: true, district: true }),
    gap: ProgressGap.nullable(),
    /** The targets of the programme version in force. */
    targets: z.array(TargetStatus),
  })
  .strict()
  .meta({ id: 'ProgressReport' });
export type ProgressReport = z.infer<typeof ProgressReport>;

export const ScorecardQuery = z.object({ format: z.enum(['json', 'csv']).optional() }).strict();
export type ScorecardQuery = z.infer<typeof ScorecardQuery>;

/** One contractor and milestone kind (shared/domain/scorecards.ts defines every figure). */
export const ScorecardRow = z
  .object({
    contractor: Id,
    /** The contractor's registered name. */
    name: z.string(),
    milestone: MilestoneKey,
    accepted: z.number().int().min(0),
    onTime: z.number().int().min(0),
    onTimeShare: z.number().min(0).max(1).nullable(),
    /** Working days late, mean over the acceptances. */
    meanDelay: z.number().min(0).nullable(),
    /** Working days late, 90th percentile (nearest rank). */
    p90Delay: z.number().min(0).nullable(),
    submissions: z.number().int().min(0),
    rejections: z.number().int().min(0),
    rejectionRate: z.number().min(0).max(1).nullable(),
    open: z.number().int().min(0),
    overdue: z.number().int().min(0),
  })
  .strict()
  .meta({ id: 'ScorecardRow' });
export type ScorecardRow = z.infer<typeof ScorecardRow>;

export const Scorecards = z
  .object({
    /** The instant the open and overdue work was counted at. */
    at: IsoInstant,
    rows: z.array(ScorecardRow),
  })
  .strict()
  .meta({ id: 'Scorecards' });
export type Scorecards = z.infer<typeof Scorecards>;

// ---------- forecast ----------

export const ForecastQuery = z
  .object({
    /** The date the forecast is made as of (its end, in the program's time zone); today by default. */
    asOf: IsoDate.optional(),
    /** The weeks the pace is measured over. */
    weeks: z.coerce.number().int().min(1).max(26).default(8),
  })
  .strict();
export type ForecastQuery = z.infer<typeof ForecastQuery>;

/** One target and group (shared/domain/forecast.ts defines every figure). */
export const ForecastRow = z
  .object({
    milestone: MilestoneKey,
    targetDate: IsoDate,
    targetShare: z.number().min(0).max(1),
    scope: z.enum(['all', 'cohorts-due']),
    /** The district, or null for the whole region. */
    district: z.string().nullable(),
    counted: z.number().int().min(0),
    reached: z.number().int().min(0),
    share: z.number().min(0).max(1),
    needed: z.number().int().min(0),
    /** Schools that reached the milestone in each of the last `weeks` weeks, oldest first. */
    weekly: z.array(z.number().int().min(0)),
    pacePerWeek: z.number().min(0),
    /** When the target share is reached at that pace (when it was, if met); null when nothing moved in the window. */
    forecast: IsoDate.nullable(),
    /** The 80 % range (bootstrap over the weekly counts); `high` null: no upper end at this pace. */
    low: IsoDate.nullable(),
    high: IsoDate.nullable(),
    status: z.enum(['met', 'on-track', 'late', 'stalled']),
    open: z.number().int().min(0),
    overdue: z.number().int().min(0),
    holdingBack: z.array(
      z
        .object({
          schoolId: Id,
          name: z.string(),
          status: MilestoneStatus,
          deadline: IsoDate,
          daysOverdue: z.number().int().min(0),
        })
        .strict(),
    ),
  })
  .strict();
export type ForecastRow = z.infer<typeof ForecastRow>;

export const ForecastReport = z
  .object({ asOf: IsoDate, weeks: z.number().int().min(1), rows: z.array(ForecastRow) })
  .strict()
  .meta({ id: 'ForecastReport' });
export type ForecastReport = z.infer<typeof ForecastReport>;

// ---------- notifications ----------

const Delivered = { deliveredAt: IsoInstant.nullable() };
/** A milestone's reminder, escalation or status change, or the weekly digest (no school, no milestone). */
export const NotificationItem = z
  .discriminatedUnion('kind', [MilestoneNotification.extend(Delivered), DigestNotification.extend(Delivered)])
  .meta({ id: 'NotificationItem' });
export type NotificationItem = z.infer<typeof NotificationItem>;

export const NotificationQuery = z.object({ limit: Limit.default(50), cursor: Cursor.optional() }).strict();
export type NotificationQuery = z.infer<typeof NotificationQuery>;

export const NotificationList = z
  .object({ items: z.array(NotificationItem), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: 'NotificationList' });
export type NotificationList = z.infer<typeof NotificationList>;
