/**
 * The coordinators' daily overdue digest, run by the 08:30 (Asia/Omsk) schedule with
 * `{"task": "daily-sweep", "scheduledTime": "<aws.scheduler.scheduled-time>"}`; "now" is the scheduled
 * time, so a retry or a replay works on the same day.
 *
 * Overdue milestones (found with `listOpenByDeadline`), by district: every district coordinator gets one
 * digest a day, at most once (an idempotency record per district and day).
 *
 * Keeping the workflows alive is the workflow sweep's (functions/workflow/sweep.ts, 08:15): it checks
 * the lifecycle of every open milestone, a superset of the schools with a reminder due today that this
 * job used to check as well, and a re-created lifecycle sends the reminder that fell due while it was
 * down. One sweep of the executions a day, not two.
 *
 * Thin on purpose: the rules (what is overdue) are the domain's, the writes the store's.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { addDays, localDate } from '../../shared/calendar.js';
import { SystemClock, type Clock } from '../../shared/clock.js';
import { daysOverdue, isOverdue, milestoneDefinition } from '../../shared/domain/index.js';
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
  overdue: number;
  digestsSent: number;
}

export interface SweepDeps {
  store: MilestoneStore;
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
  const { store, channel, program, logger, metrics } = deps;
  const tz = program.timeZone;
  /** The program of each school with an open milestone, by its version (profiles read once per run). */
  const programOf = new Map<string, ProgramDefinition>();
  const definitionOf = (state: Pick<MilestoneState, 'schoolId' | 'key'>) =>
    milestoneDefinition(programOf.get(state.schoolId) ?? program, state.key);

  async function run(request: SweepRequest): Promise<SweepResult> {
    const now = request.scheduledTime ? new Date(request.scheduledTime) : deps.clock.now();
    const today = localDate(now, tz);
    // Overdue means the due day is past, so the deadline is before today.
    // Every published version, read once per run; each school's program is the one of its version.
    const catalog = deps.programs ? await deps.programs.catalog() : null;
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

    const overdue: MilestoneState[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listOpenByDeadline({ to: addDays(today, -1), limit: PAGE, cursor });
      await resolvePrograms(page.items.map((s) => s.schoolId));
      for (const state of page.items) {
        if (definitionOf(state) && isOverdue(state, now, tz)) overdue.push(state);
      }
      cursor = page.cursor;
    } while (cursor !== null);

    const digestsSent = await sendDigests(overdue, now, today);

    const result: SweepResult = { date: today, overdue: overdue.length, digestsSent };
    metrics.addMetric('OverdueMilestones', MetricUnit.Count, overdue.length);
    metrics.addMetric('DigestsSent', MetricUnit.Count, digestsSent);
    logger.info('daily digest finished', { ...result });
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

const Env = z.object({ TABLE_NAME: z.string().min(1) });

const logger = new Logger();
const metrics = new Metrics();
let sweep: ReturnType<typeof createSweep> | undefined;

function instance(): ReturnType<typeof createSweep> {
  if (!sweep) {
    const env = Env.parse(process.env);
    const store = createStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME });
    sweep = createSweep({
      store,
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
