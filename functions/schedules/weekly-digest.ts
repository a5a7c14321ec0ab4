/**
 * The weekly digest for leadership (viewers and program managers), run by the weekday 08:00 (Asia/Omsk)
 * schedule with `{"task": "weekly-digest", "scheduledTime": "<aws.scheduler.scheduled-time>"}`; "now" is
 * the scheduled time, so a retry or a replay works on the same week.
 *
 * What it says, as of the end of the day before it is made (so that the progress report as of that date
 * shows the same figures): the KPI table of the region (shared/domain/kpi.ts through the progress
 * report), the gap to the next target of each milestone, the forecast of that target at the pace of the
 * last 8 weeks, and the districts furthest behind it. In Russian, with English below.
 *
 * When: on the first working day of the week (the production calendar, shared/working-days): the schedule
 * fires every weekday; a run on a day off does nothing, and so does a run that finds the week's digests in
 * the outbox. A Monday holiday moves the digest to the next working day; a week whose first working day's
 * run was lost gets its digest on the next working day.
 *
 * Once: one notification per week and recipient role, with a deterministic id
 * (`weekly-digest:<monday>:<role>`), written to the outbox on the condition that the id is free; the
 * outbox dispatcher delivers it like any notification. A retry or a second run writes nothing.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { ForecastRow, ProgressReport } from '../../shared/api/schemas.js';
import { addDays, localDate, weekday } from '../../shared/calendar.js';
import { SystemClock, type Clock } from '../../shared/clock.js';
import {
  IsoInstant,
  type DigestNotification,
  type District,
  type LocalizedText,
  type ProgramDefinition,
} from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { OMSK_OBLAST_DISTRICTS } from '../../shared/region/districts.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { createProgramResolver, milestonesOfVersion, type ProgramCatalog, type ProgramResolver } from '../../shared/programs/resolver.js';
import type { SchoolSummary } from '../../shared/store/store.js';
import { isWorkingDay } from '../../shared/working-days/index.js';
import { forecastReport, nextTargets } from '../api/forecast.js';
import { progressReport } from '../api/reports.js';

export const WeeklyDigestRequest = z
  .object({
    task: z.literal('weekly-digest'),
    scheduledTime: IsoInstant.optional(),
  })
  .strict();
export type WeeklyDigestRequest = z.infer<typeof WeeklyDigestRequest>;

/** Who gets the digest: one outbox notification per role. */
export const DIGEST_RECIPIENTS: readonly DigestNotification['recipient'][] = [{ type: 'program-manager' }, { type: 'viewer' }];

/** The weeks the forecast's pace is measured over. */
export const DIGEST_FORECAST_WEEKS = 8;
/** Districts listed per target as the furthest behind. */
export const WORST_DISTRICTS = 3;

export interface WeeklyDigestResult {
  date: string;
  week: string;
  outcome: 'written' | 'already-written' | 'day-off';
  /** Notifications this run wrote to the outbox. */
  written: number;
}

/** The Monday of the week of a date. */
export function weekOf(date: string): string {
  return addDays(date, -((weekday(date) + 6) % 7));
}

export const digestId = (week: string, recipient: DigestNotification['recipient']): string => `weekly-digest:${week}:${recipient.type}`;

export interface WorstDistrict {
  milestone: string;
  district: string;
  counted: number;
  reached: number;
  share: number;
  needed: number;
}

export interface WeeklyDigest {
  week: string;
  /** The date the figures are as of (its end): the day before the digest is made. */
  asOf: string;
  /** The KPI table: the progress report by district as of `asOf` (its `total` is the region). */
  kpi: ProgressReport;
  /** The next target of each milestone, as the progress report states it. */
  targets: ProgressReport['targets'];
  /** The region's forecast of each of those targets. */
  forecast: ForecastRow[];
  /** Per target not met, the districts with the lowest share of their schools in its scope. */
  worstDistricts: WorstDistrict[];
}

/** The digest's figures for the week of `now`, from the schools' summaries. Pure. */
export function weeklyDigest(
  program: ProgramDefinition,
  districts: readonly District[],
  records: readonly SchoolSummary[],
  now: Date,
  catalog?: ProgramCatalog,
): WeeklyDigest {
  const today = localDate(now, program.timeZone);
  const asOf = addDays(today, -1);
  const kpi = progressReport(
    program,
    districts.map((d) => d.id),
    records,
    asOf,
    now,
    'district',
    catalog,
  );
  const next = nextTargets(program, asOf, catalog);
  const targets = kpi.targets.filter((t) => next.some((n) => n.milestone === t.milestone && n.date === t.date));
  const rows = forecastReport(program, records, asOf, now, DIGEST_FORECAST_WEEKS, catalog).rows;
  const worstDistricts = rows
    .filter((r) => r.district === null && r.status !== 'met')
    .flatMap((region) =>
      rows
        .filter((r) => r.milestone === region.milestone && r.district !== null && r.counted > 0 && r.status !== 'met')
        .sort((a, b) => a.share - b.share || b.needed - a.needed || a.district!.localeCompare(b.district!))
        .slice(0, WORST_DISTRICTS)
        .map((r) => ({
          milestone: r.milestone,
          district: r.district!,
          counted: r.counted,
          reached: r.reached,
          share: r.share,
          needed: r.needed,
        })),
    );
  return {
    week: weekOf(today),
    asOf,
    kpi,
    targets,
    forecast: rows.filter((r) => r.district === null).map((r) => ({ ...r, holdingBack: [] })),
    worstDistricts,
  };
}

// ---------- the text ----------

const ru = {
  date: (d: string) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`,
  percent: (share: number) => `${(share * 100).toFixed(1).replace('.', ',')} %`,
  points: (p: number) => `${p.toFixed(1).replace('.', ',')} п. п.`,
};
const en = {
  date: (d: string) => d,
  percent: (share: number) => `${(share * 100).toFixed(1)}%`,
  points: (p: number) => `${p.toFixed(1)} pp`,
};

const STATUS: Record<ForecastRow['status'], LocalizedText> = {
  met: { ru: 'цель достигнута', en: 'target met' },
  'on-track': { ru: 'успеваем к сроку', en: 'on track' },
  late: { ru: 'не успеваем к сроку', en: 'late' },
  stalled: { ru: 'продвижения нет', en: 'no progress' },
};

/** The digest as an e-mail: subject and plain-text body, in Russian and English. */
export function digestText(
  program: ProgramDefinition,
  districts: readonly District[],
  digest: WeeklyDigest,
  catalog?: ProgramCatalog,
): { subject: LocalizedText; body: LocalizedText } {
  // A milestone's title in the latest version that has it (a later version adds milestones).
  const programs = catalog ? catalog.versions.map((v) => v.program).reverse() : [program];
  const title = (key: string): LocalizedText =>
    programs.flatMap((p) => p.milestones).find((m) => m.key === key)?.title ?? { ru: key, en: key };
  const districtName = new Map(districts.map((d) => [d.id, { ru: d.nameRu, en: d.nameEn }]));
  const total = digest.kpi.total;

  const kpiLines = (lang: 'ru' | 'en') =>
    digest.kpi.milestones.map((key) => {
      const c = total.milestones[key]!;
      const f = lang === 'ru' ? ru : en;
      return lang === 'ru'
        ? `• ${title(key).ru}: ${c.reached} из ${total.schools} — ${f.percent(c.share)} (в т. ч. освобождены: ${c.waived})`
        : `• ${title(key).en}: ${c.reached} of ${total.schools} — ${f.percent(c.share)} (of which waived: ${c.waived})`;
    });
  // A target still ahead: the share as of `asOf`. One already past: the share it had on its date, and now.
  const targetLines = (lang: 'ru' | 'en') =>
    digest.targets.map((t) => {
      const f = lang === 'ru' ? ru : en;
      const now = digest.forecast.find((r) => r.milestone === t.milestone);
      const current = t.date > digest.asOf || !now ? t : { share: now.share, reached: now.reached, counted: now.counted };
      const needed = Math.max(0, Math.ceil(t.target * current.counted - 1e-9) - current.reached);
      const gap = Math.max(0, Math.round((t.target - current.share) * 1000) / 10);
      const figures = (c: { share: number; reached: number; counted: number }) =>
        `${f.percent(c.share)} (${c.reached} ${lang === 'ru' ? 'из' : 'of'} ${c.counted})`;
      const past = current === t ? '' : lang === 'ru' ? `на срок ${figures(t)}, сейчас ` : `${figures(t)} on the date, now `;
      return lang === 'ru'
        ? `• ${title(t.milestone).ru} — цель ${f.percent(t.target)} к ${f.date(t.date)}: ${past}${figures(current)}, ` +
            (needed === 0 ? 'цель достигнута' : `не хватает ${needed} шк. (${f.points(gap)})`)
        : `• ${title(t.milestone).en} — target ${f.percent(t.target)} by ${f.date(t.date)}: ${past}${figures(current)}, ` +
            (needed === 0 ? 'target met' : `${needed} school(s) short (${f.points(gap)})`);
    });
  const forecastLines = (lang: 'ru' | 'en') =>
    digest.forecast.map((r) => {
      const f = lang === 'ru' ? ru : en;
      const when = r.forecast === null ? (lang === 'ru' ? 'срок не определить' : 'no date') : f.date(r.forecast);
      const range =
        r.status === 'met' || r.forecast === null
          ? ''
          : lang === 'ru'
            ? ` (80 %-й интервал: ${r.low ? f.date(r.low) : '—'} – ${r.high ? f.date(r.high) : 'не определён'})`
            : ` (80% range: ${r.low ?? '—'} – ${r.high ?? 'open'})`;
      return lang === 'ru'
        ? `• ${title(r.milestone).ru}: ${when}${range}, темп ${String(r.pacePerWeek).replace('.', ',')} шк./нед. — ${STATUS[r.status].ru}`
        : `• ${title(r.milestone).en}: ${when}${range}, pace ${r.pacePerWeek} schools/week — ${STATUS[r.status].en}`;
    });
  const worstLines = (lang: 'ru' | 'en') =>
    digest.worstDistricts.map((w) => {
      const f = lang === 'ru' ? ru : en;
      const name = districtName.get(w.district)?.[lang] ?? w.district;
      return lang === 'ru'
        ? `• ${title(w.milestone).ru}: ${name} — ${f.percent(w.share)} (${w.reached} из ${w.counted}, не хватает ${w.needed} шк.)`
        : `• ${title(w.milestone).en}: ${name} — ${f.percent(w.share)} (${w.reached} of ${w.counted}, ${w.needed} school(s) short)`;
    });
  const none = { ru: '• нет', en: '• none' };

  const body = (lang: 'ru' | 'en'): string => {
    const f = lang === 'ru' ? ru : en;
    const worst = worstLines(lang);
    return (
      lang === 'ru'
        ? [
            `Еженедельная сводка по программе ЦОС на ${f.date(digest.asOf)} (неделя с ${f.date(digest.week)}).`,
            '',
            `Показатели: школ в расчёте ${total.schools}; этап достигнут, если принят или снят с контроля.`,
            ...kpiLines('ru'),
            '',
            'Отставание от ближайших целей:',
            ...targetLines('ru'),
            '',
            `Прогноз при темпе последних ${DIGEST_FORECAST_WEEKS} недель:`,
            ...forecastLines('ru'),
            '',
            'Наиболее отстающие районы:',
            ...(worst.length > 0 ? worst : [none.ru]),
          ]
        : [
            `Weekly digest of the digital educational environment programme as of ${f.date(digest.asOf)} (week of ${f.date(digest.week)}).`,
            '',
            `KPIs: ${total.schools} schools counted; a milestone is reached when accepted or waived.`,
            ...kpiLines('en'),
            '',
            'Gap to the next targets:',
            ...targetLines('en'),
            '',
            `Forecast at the pace of the last ${DIGEST_FORECAST_WEEKS} weeks:`,
            ...forecastLines('en'),
            '',
            'Districts furthest behind:',
            ...(worst.length > 0 ? worst : [none.en]),
          ]
    ).join('\n');
  };
  return {
    subject: {
      ru: `Еженедельная сводка ЦОС: неделя с ${ru.date(digest.week)}`,
      en: `Weekly digest of the programme: week of ${digest.week}`,
    },
    body: { ru: body('ru'), en: body('en') },
  };
}

// ---------- the job ----------

export interface WeeklyDigestDeps {
  store: MilestoneStore;
  program: ProgramDefinition;
  districts: readonly District[];
  /** The program version each school follows (without it, every school follows `program`). */
  programs?: ProgramResolver;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export function createWeeklyDigest(deps: WeeklyDigestDeps) {
  const { store, program, districts, logger, metrics } = deps;

  async function allSummaries(catalog: ProgramCatalog | undefined): Promise<SchoolSummary[]> {
    const out: SchoolSummary[] = [];
    // Each school's lines are those of the program version it follows.
    const milestones = catalog ? milestonesOfVersion(catalog) : program.milestones.map((m) => m.key);
    let cursor: string | null = null;
    do {
      const page = await store.listSchoolSummaries({ milestones, limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== null);
    return out;
  }

  async function run(request: WeeklyDigestRequest): Promise<WeeklyDigestResult> {
    const now = request.scheduledTime ? new Date(request.scheduledTime) : deps.clock.now();
    const today = localDate(now, program.timeZone);
    const week = weekOf(today);
    const result = (outcome: WeeklyDigestResult['outcome'], written = 0): WeeklyDigestResult => {
      const r = { date: today, week, outcome, written };
      metrics.addMetric('WeeklyDigestsWritten', MetricUnit.Count, written);
      logger.info('weekly digest finished', { ...r });
      return r;
    };
    if (!isWorkingDay(today)) return result('day-off');
    // Normally only the week's first working day finds a digest missing; a later one writes what an
    // outage left out, and otherwise reads two items and stops.
    const missing: DigestNotification['recipient'][] = [];
    for (const recipient of DIGEST_RECIPIENTS) if (!(await store.getNotification(digestId(week, recipient)))) missing.push(recipient);
    if (missing.length === 0) return result('already-written');

    const catalog = deps.programs ? await deps.programs.catalog() : undefined;
    const digest = weeklyDigest(program, districts, await allSummaries(catalog), now, catalog);
    const text = digestText(program, districts, digest, catalog);
    let written = 0;
    for (const recipient of missing) {
      const wrote = await store.enqueueNotification({
        id: digestId(week, recipient),
        kind: 'weekly-digest',
        week,
        asOf: digest.asOf,
        recipient,
        ...text,
        createdAt: now.toISOString(),
      });
      if (wrote) written++;
    }
    return result(written > 0 ? 'written' : 'already-written', written);
  }

  return { run };
}

// ---------- the Lambda handler: configuration from the environment the template gives it ----------

const Env = z.object({ TABLE_NAME: z.string().min(1) });

const logger = new Logger();
const metrics = new Metrics();

/** The handler over its own clock: Lambda's uses the system clock, the local stack passes its demo or virtual clock. */
export function createHandler(options: { clock?: Clock } = {}) {
  let job: ReturnType<typeof createWeeklyDigest> | undefined;
  const instance = () => {
    if (!job) {
      const env = Env.parse(process.env);
      const store = createStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME });
      job = createWeeklyDigest({
        store,
        program: REFERENCE_PROGRAM,
        districts: OMSK_OBLAST_DISTRICTS,
        programs: createProgramResolver(store),
        clock: options.clock ?? new SystemClock(),
        logger,
        metrics,
      });
    }
    return job;
  };
  return async (event: unknown, context: Context): Promise<WeeklyDigestResult> => {
    logger.addContext(context);
    try {
      const request = WeeklyDigestRequest.safeParse(event);
      if (!request.success) throw new Error(`Unexpected event: ${z.prettifyError(request.error)}`);
      return await instance().run(request.data);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

export const handler = createHandler();
