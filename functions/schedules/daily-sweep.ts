/**
 * The daily overdue sweep and the coordinators' digest, run by the 08:30 (Asia/Omsk) schedule with
 * `{"task": "daily-sweep", "scheduledTime": "<aws.scheduler.scheduled-time>"}`; "now" is the scheduled
 * time, so a retry or a replay works on the same day.
 *
 * 1. Open milestones whose next reminder falls due today (found with `listOpenByDeadline`): each of their
 *    schools must have a live workflow, or the reminder would never go out. The workflow signal's
 *    `ensureExecution` finds the running execution (the stored waiting tasks first, then the
 *    deterministic names) or starts the next one; a started execution reads the stored state and goes on
 *    from there (DESIGN.md §3.1).
 * 2. Overdue milestones, by district: every district coordinator gets one digest a day, at most once
 *    (an idempotency record per district and day).
 *
 * Thin on purpose: the rules (what is due, what is overdue) are the domain's, the writes the store's.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { addDays, endOfLocalDay, localDate } from '../../shared/calendar.js';
import { SystemClock, type Clock } from '../../shared/clock.js';
import { daysOverdue, isOverdue, milestoneDefinition, nextReminder } from '../../shared/domain/index.js';
import {
  IsoInstant,
  type MilestoneDefinition,
  type MilestoneState,
  type ProgramDefinition,
  type School,
} from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { createProgramResolver, type ProgramResolver } from '../../shared/programs/resolver.js';
import { createStore, hashRequest, type MilestoneStore } from '../../shared/store/index.js';
import { createWorkflowSignal, type WorkflowSignal } from '../common/workflow-signal.js';
import { logTo } from '../common/log.js';
import {
  channelConfigFromEnv,
  createChannel,
  DeliveryError,
  type DeliveryChannel,
  type OutgoingMessage,
} from '../notifications/channels.js';

export const SweepRequest = z
  .object({
    task: z.literal('daily-sweep'),
    scheduledTime: IsoInstant.optional(),
  })
  .strict();
export type SweepRequest = z.infer<typeof SweepRequest>;

export interface SweepResult {
  date: string;
  dueReminders: number;
  schoolsChecked: number;
  executionsStarted: number;
  /** Schools whose workflow could not be checked (no state machine configured, or an error). */
  schoolsUnchecked: number;
  overdue: number;
  digestsSent: number;
}

export interface SweepDeps {
  store: MilestoneStore;
  /** Absent until the workflows are part of the stack: then schools are only counted. */
  workflows: Pick<WorkflowSignal, 'ensureExecution'> | null;
  channel: DeliveryChannel;
  program: ProgramDefinition;
  /** The program version each school follows (without it, every school follows `program`). */
  programs?: ProgramResolver;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/** Digest lines per district; the rest is summarized as a count. */
const DIGEST_LINES = 40;
const PAGE = 500;

export function createSweep(deps: SweepDeps) {
  const { store, workflows, channel, program, logger, metrics } = deps;
  const tz = program.timeZone;
  /** The program of each school with an open milestone, by its version (profiles read once per run). */
  const programOf = new Map<string, ProgramDefinition>();
  const definitionOf = (state: Pick<MilestoneState, 'schoolId' | 'key'>) =>
    milestoneDefinition(programOf.get(state.schoolId) ?? program, state.key);

  async function run(request: SweepRequest): Promise<SweepResult> {
    const now = request.scheduledTime ? new Date(request.scheduledTime) : deps.clock.now();
    const today = localDate(now, tz);
    const endOfToday = endOfLocalDay(today, tz).getTime();
    // Every published version, read once per run; each school's program is the one of its version.
    const catalog = deps.programs ? await deps.programs.catalog() : null;
    const versions = catalog ? catalog.versions.map((v) => v.program) : [program];
    // Reminders go out up to `max(daysBefore)` days (of any version) before a deadline, and forever after it.
    const lookAhead = Math.max(0, ...versions.flatMap((p) => p.milestones.flatMap((m) => m.reminders.daysBefore)));
    programOf.clear();
    async function resolvePrograms(schoolIds: readonly string[]): Promise<void> {
      const missing = [...new Set(schoolIds)].filter((id) => !programOf.has(id));
      if (missing.length === 0) return;
      const records = catalog ? await store.getSchools(missing, []) : [];
      for (const [i, id] of missing.entries()) {
        const school = records[i]?.school;
        programOf.set(id, school && catalog ? catalog.of(school) : program);
      }
    }

    const dueSchools = new Set<string>();
    const overdue: MilestoneState[] = [];
    let dueReminders = 0;
    let cursor: string | null = null;
    do {
      const page = await store.listOpenByDeadline({ to: addDays(today, lookAhead), limit: PAGE, cursor });
      await resolvePrograms(page.items.map((s) => s.schoolId));
      for (const state of page.items) {
        const def = definitionOf(state);
        if (!def) continue;
        if (isOverdue(state, now, tz)) overdue.push(state);
        const reminder = nextReminder(state, def.reminders, tz, now);
        if (reminder && Date.parse(reminder.at) < endOfToday) {
          dueReminders++;
          dueSchools.add(state.schoolId);
        }
      }
      cursor = page.cursor;
    } while (cursor !== null);

    let started = 0;
    let unchecked = 0;
    for (const schoolId of [...dueSchools].sort()) {
      if (!workflows) {
        unchecked++;
        continue;
      }
      try {
        const record = await store.getSchool(schoolId);
        const known = (record?.milestones ?? []).flatMap((m) => (m.task ? [m.task.executionArn] : []));
        const live = await workflows.ensureExecution(schoolId, known);
        if (live.started) {
          started++;
          logger.warn('school workflow was not running: started a new execution', { schoolId, executionArn: live.executionArn });
        }
      } catch (error) {
        unchecked++;
        logger.error('could not make sure the school workflow is running', { schoolId, error: error as Error });
      }
    }
    if (!workflows && dueSchools.size > 0)
      logger.warn('no school-program state machine configured: workflows not checked', { schools: dueSchools.size });

    const digestsSent = await sendDigests(overdue, now, today);

    const result: SweepResult = {
      date: today,
      dueReminders,
      schoolsChecked: dueSchools.size - unchecked,
      executionsStarted: started,
      schoolsUnchecked: unchecked,
      overdue: overdue.length,
      digestsSent,
    };
    metrics.addMetric('RemindersDueToday', MetricUnit.Count, dueReminders);
    metrics.addMetric('WorkflowExecutionsRestarted', MetricUnit.Count, started);
    metrics.addMetric('SchoolsUnchecked', MetricUnit.Count, unchecked);
    metrics.addMetric('OverdueMilestones', MetricUnit.Count, overdue.length);
    metrics.addMetric('DigestsSent', MetricUnit.Count, digestsSent);
    logger.info('daily sweep finished', { ...result });
    if (unchecked > 0 && workflows) throw new Error(`Daily sweep: ${unchecked} school workflow(s) could not be checked`);
    return result;
  }

  async function sendDigests(overdue: MilestoneState[], now: Date, today: string): Promise<number> {
    if (overdue.length === 0) return 0;
    const schools = await allSchools();
    const byDistrict = new Map<string, { state: MilestoneState; school: School }[]>();
    for (const state of overdue) {
      const school = schools.get(state.schoolId);
      if (!school) continue;
      const list = byDistrict.get(school.district) ?? [];
      list.push({ state, school });
      byDistrict.set(school.district, list);
    }
    let sent = 0;
    for (const [district, items] of [...byDistrict].sort(([a], [b]) => a.localeCompare(b))) {
      const message = digestMessage(definitionOf, tz, district, today, items, now);
      const { replayed } = await store.withIdempotency('digest', `${district}:${today}`, hashRequest({ district, today }), async () => {
        // The addresses reached are kept for this run only: a digest that some address refused is not
        // sent again (the others would get it twice); tomorrow's digest carries the same milestones.
        const reached = new Set<string>();
        try {
          await channel.send(message, { reached, record: async (destination) => void reached.add(destination) });
        } catch (error) {
          if (!(error instanceof DeliveryError)) throw error;
          metrics.addMetric('DigestDestinationsNotReached', MetricUnit.Count, error.failures.length);
          logger.error('digest not delivered to every destination', {
            district,
            date: today,
            reached: reached.size,
            failures: error.failures,
          });
        }
        return { sentAt: now.toISOString() };
      });
      if (!replayed) sent++;
    }
    return sent;
  }

  async function allSchools(): Promise<Map<string, School>> {
    const map = new Map<string, School>();
    let cursor: string | null = null;
    do {
      const page = await store.listAllSchools({ limit: 1000, cursor });
      for (const school of page.items) map.set(school.id, school);
      cursor = page.cursor;
    } while (cursor !== null);
    return map;
  }

  return { run };
}

/** One district's digest: the overdue milestones, most overdue first. */
export function digestMessage(
  definitionOf: (state: MilestoneState) => MilestoneDefinition | undefined,
  timeZone: string,
  district: string,
  today: string,
  items: readonly { state: MilestoneState; school: School }[],
  now: Date,
): OutgoingMessage {
  const rows = items
    .map(({ state, school }) => ({ state, school, days: daysOverdue(state, now, timeZone), def: definitionOf(state) }))
    .sort((a, b) => b.days - a.days || a.school.name.localeCompare(b.school.name) || a.state.key.localeCompare(b.state.key));
  const shown = rows.slice(0, DIGEST_LINES);
  const more = rows.length - shown.length;
  const lineRu = (r: (typeof rows)[number]) =>
    `• ${r.school.name} — ${r.def?.title.ru ?? r.state.key}: срок ${r.state.deadline}, просрочено на ${r.days} дн.`;
  const lineEn = (r: (typeof rows)[number]) =>
    `• ${r.school.name} — ${r.def?.title.en ?? r.state.key}: due ${r.state.deadline}, ${r.days} day(s) overdue`;
  return {
    id: `digest:${district}:${today}`,
    recipient: { type: 'district-coordinator', district },
    subject: {
      ru: `Просроченные этапы в районе на ${today}: ${rows.length}`,
      en: `Overdue milestones in the district on ${today}: ${rows.length}`,
    },
    body: {
      ru: [`Просроченные этапы на ${today} (${rows.length}):`, ...shown.map(lineRu), ...(more > 0 ? [`…и ещё ${more}.`] : [])].join('\n'),
      en: [`Overdue milestones on ${today} (${rows.length}):`, ...shown.map(lineEn), ...(more > 0 ? [`…and ${more} more.`] : [])].join(
        '\n',
      ),
    },
    attributes: { kind: 'digest', level: 'district-coordinator', date: today },
  };
}

// ---------- the Lambda handler: configuration from the environment the template gives it ----------

const Env = z.object({
  TABLE_NAME: z.string().min(1),
  SCHOOL_PROGRAM_STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:[\w-]+:states:/)
    .optional(),
});

const logger = new Logger();
const metrics = new Metrics();
let sweep: ReturnType<typeof createSweep> | undefined;

function instance(): ReturnType<typeof createSweep> {
  if (!sweep) {
    const env = Env.parse(process.env);
    const store = createStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME });
    const workflows = env.SCHOOL_PROGRAM_STATE_MACHINE_ARN
      ? createWorkflowSignal({
          sfn: new SFNClient({}),
          store,
          stateMachineArn: env.SCHOOL_PROGRAM_STATE_MACHINE_ARN,
          log: logTo(logger),
        })
      : null;
    sweep = createSweep({
      store,
      workflows,
      channel: createChannel(channelConfigFromEnv(), logger),
      program: REFERENCE_PROGRAM,
      programs: createProgramResolver(store),
      clock: new SystemClock(),
      logger,
      metrics,
    });
  }
  return sweep;
}

export async function handler(event: unknown, context: Context): Promise<SweepResult> {
  logger.addContext(context);
  try {
    const request = SweepRequest.safeParse(event);
    if (!request.success) throw new Error(`Unexpected event: ${z.prettifyError(request.error)}`);
    return await instance().run(request.data);
  } finally {
    metrics.publishStoredMetrics();
  }
}
