/**
 * Bulk jobs and CSV imports, processed asynchronously (the job store, shared/store/jobs.ts, keeps them).
 *
 * `POST /api/bulk/{action}` and `POST /api/imports/schools` write the job and ask the queue to run it: an
 * asynchronous (`Event`) invocation of the API function itself with `{"source": "cos.bulk-job", "jobId": ...}`;
 * locally the Lambda API of the local stack does the same with the same handler. A run that fails throws,
 * so Lambda runs the job again; every run skips the schools that already have an outcome, a bulk command
 * carries the idempotency key `bulk.<jobId>.<schoolId>` and an imported school is created on the
 * condition that it does not exist, so nothing is applied twice. The last attempt that fails ends the
 * job `failed` with its reason.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import type { BulkFilter, JobOutcome } from '../../shared/api/schemas.js';
import { createCommandService, type CommandDeps } from '../../shared/commands/execute.js';
import { createStartPacer } from '../common/start-pacing.js';
import { initialState, isOverdue } from '../../shared/domain/index.js';
import type { Command, School } from '../../shared/program/model.js';
import { MAX_JOB_ATTEMPTS, type JobRecord, type JobStore } from '../../shared/store/jobs.js';
import type { WorkflowSignal } from '../common/workflow-signal.js';
import type { Log } from '../common/log.js';
import { mapLimit } from '../../shared/map-limit.js';
import { matchesText } from './views.js';
import { migrateSchool, MigrationBody } from './migrate.js';

export const JOB_EVENT_SOURCE = 'cos.bulk-job';
export const JobEvent = z.object({ source: z.literal(JOB_EVENT_SOURCE), jobId: z.string().min(1).max(64) }).strict();
export type JobEvent = z.infer<typeof JobEvent>;

/** Hands a job to whatever runs it asynchronously. */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
}

/** The function invokes itself asynchronously (`InvocationType: Event`) with a JobEvent. */
export function lambdaJobQueue(lambda: LambdaClient, functionName: string): JobQueue {
  return {
    async enqueue(jobId) {
      const event: JobEvent = { source: JOB_EVENT_SOURCE, jobId };
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      if (out.StatusCode !== 202) throw new Error(`asynchronous invocation of ${functionName} answered ${out.StatusCode}`);
    },
  };
}

export interface JobRunnerDeps extends CommandDeps {
  jobs: JobStore;
  signal: WorkflowSignal;
  log: Log;
  /** Schools processed at the same time. */
  concurrency?: number;
}

/** The schools a filter selects, in district/id order (profiles only; status filters apply per school later). */
export async function selectSchools(deps: CommandDeps, filter: BulkFilter): Promise<School[]> {
  let schools: School[] = [];
  if (filter.schoolIds) {
    const records = await mapLimit([...new Set(filter.schoolIds)], 8, (id) => deps.store.getSchool(id));
    schools = records.flatMap((r) => (r ? [r.school] : []));
  } else {
    let cursor: string | null = null;
    do {
      const page: { items: School[]; cursor: string | null } = filter.district
        ? await deps.store.listSchoolsByDistrict(filter.district, { limit: 1000, cursor })
        : await deps.store.listAllSchools({ limit: 1000, cursor });
      schools.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  return schools.filter((s) => (filter.district === undefined || s.district === filter.district) && matchesText(s, filter.q));
}

/**
 * Runs (or resumes) a job to the end. One school's failure is that school's outcome; a failure of the
 * run itself is thrown (so the queue runs the job again) until the last attempt, which ends the job
 * `failed` with the reason.
 */
export async function runJob(deps: JobRunnerDeps, jobId: string): Promise<void> {
  const job = await deps.jobs.get(jobId);
  if (!job) {
    deps.log('warn', 'job not found', { jobId });
    return;
  }
  if (job.status === 'done' || job.status === 'failed') return;
  const attempt = await deps.jobs.beginAttempt(jobId);
  if (attempt > MAX_JOB_ATTEMPTS) {
    const error = `did not finish in ${MAX_JOB_ATTEMPTS} attempts${job.error ? `; the last one stopped: ${job.error}` : ' (each stopped part way: timeout or crash)'}`;
    await deps.jobs.setStatus(jobId, 'failed', { error });
    deps.log('error', 'job failed', { jobId, kind: job.kind, error });
    return;
  }
  try {
    const total =
      job.kind === 'import'
        ? await runImport(deps, job)
        : job.kind === 'migration'
          ? await runMigration(deps, job)
          : await runBulk(deps, job);
    // Counters from the outcomes themselves: exact even when a crashed run is resumed.
    const results = (await deps.jobs.get(jobId))?.results ?? [];
    const count = (o: JobOutcome['outcome']) => results.filter((r) => r.outcome === o).length;
    const counters = {
      total,
      processed: results.length,
      succeeded: count('ok'),
      skipped: count('skipped'),
      failed: count('rejected') + count('error'),
      error: null,
    };
    await deps.jobs.setStatus(jobId, 'done', counters);
    deps.log('info', 'job done', { jobId, kind: job.kind, attempt, ...counters });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    deps.log('error', 'job run stopped', { jobId, kind: job.kind, attempt, error: String(error) });
    if (attempt >= MAX_JOB_ATTEMPTS) {
      await deps.jobs.setStatus(jobId, 'failed', { error: `failed in each of its ${MAX_JOB_ATTEMPTS} attempts; the last: ${reason}` });
      return;
    }
    await deps.jobs.setStatus(jobId, 'running', { error: `attempt ${attempt} stopped: ${reason}` });
    throw error;
  }
}

/** One command on one milestone of each school the filter selects; answers how many it selected. */
function runBulk(deps: JobRunnerDeps, job: JobRecord): Promise<number> {
  return eachSchool(deps, job, (school) => runOne(deps, job, school));
}

/** Moves each school the filter selects to the job's program version; answers how many it selected. */
function runMigration(deps: JobRunnerDeps, job: JobRecord): Promise<number> {
  const target = MigrationBody.parse(job.body);
  return eachSchool(deps, job, (school) => migrateSchool(deps, { ...target, jobId: job.id, actor: job.createdBy }, school.id));
}

/**
 * Runs `one` for each school the filter selects that has no outcome yet and records its outcome (a
 * failure is that school's `error` outcome); answers how many schools the filter selected.
 */
async function eachSchool(deps: JobRunnerDeps, job: JobRecord, one: (school: School) => Promise<JobOutcome>): Promise<number> {
  const schools = await selectSchools(deps, job.filter);
  await deps.jobs.setStatus(job.id, 'running', { total: schools.length });
  const done = new Set(job.results.map((r) => r.schoolId));
  await mapLimit(
    schools.filter((s) => !done.has(s.id)),
    deps.concurrency ?? 4,
    async (school) => {
      let outcome: JobOutcome;
      try {
        outcome = await one(school);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        deps.log('warn', `${job.kind} job: one school failed`, { jobId: job.id, schoolId: school.id, error: String(error) });
        outcome = {
          schoolId: school.id,
          outcome: 'error',
          status: code === 'version-conflict' || code === 'transaction-conflict' ? 409 : 500,
          ...(typeof code === 'string' ? { code } : {}),
          detail: error instanceof Error ? error.message : String(error),
        };
      }
      await deps.jobs.record(job.id, outcome);
    },
  );
  return schools.length;
}

/**
 * Creates each row's school with its milestones (one transaction each, only if the id is free) and
 * starts its workflow; a school another import created first is that row's `rejected` outcome.
 */
async function runImport(deps: JobRunnerDeps, job: JobRecord): Promise<number> {
  const rows = await deps.jobs.rows(job.id);
  const done = new Set(job.results.map((r) => r.schoolId));
  // The milestones' initial state as of the upload, whichever attempt creates them.
  const at = new Date(job.createdAt);
  // A school that joins follows the latest published version of the program.
  const latest = deps.programs ? (await deps.programs.catalog()).latest : { version: 1, program: deps.program };
  // The workflows start at most IMPORT_SCHOOLS_PER_SECOND a second, under StartExecution's refill rate.
  const pacer = createStartPacer();
  await mapLimit(
    rows.filter((s) => !done.has(s.id) || job.results.some((r) => r.schoolId === s.id && r.outcome === 'ok')),
    deps.concurrency ?? 4,
    async (row) => {
      const school: School = latest.version === 1 ? row : { ...row, programVersion: latest.version };
      if (!done.has(school.id)) {
        const states = latest.program.milestones.map((m) => initialState(latest.program, school, m.key, at));
        const result = await deps.jobs.importSchool(job.id, school, states);
        if (result === 'exists') {
          await deps.jobs.record(job.id, {
            schoolId: school.id,
            outcome: 'rejected',
            status: 409,
            code: 'already-exists',
            detail: `school ${school.id} already exists`,
          });
          return;
        }
      }
      try {
        await pacer.take();
        await deps.signal.ensureExecution(school.id);
      } catch (error) {
        deps.log('warn', 'imported school: workflow not started; the daily sweep will start it', {
          jobId: job.id,
          schoolId: school.id,
          error: String(error),
        });
      }
    },
  );
  return rows.length;
}

async function runOne(deps: JobRunnerDeps, job: JobRecord, school: School): Promise<JobOutcome> {
  const { filter, body } = job;
  if (filter.status !== undefined || filter.overdue !== undefined) {
    const record = await deps.store.getSchool(school.id);
    const state = record?.milestones.find((m) => m.state.key === job.milestone)?.state;
    const matches =
      state !== undefined &&
      (filter.status === undefined || state.status === filter.status) &&
      (filter.overdue === undefined || isOverdue(state, deps.clock.now(), deps.program.timeZone) === filter.overdue);
    if (!matches) return { schoolId: school.id, outcome: 'skipped', status: 0, detail: 'the milestone does not match the filter' };
  }
  const command = { type: job.action!, ...body } as Command;
  const { outcome } = await createCommandService({ ...deps, signals: deps.signal }).execute({
    schoolId: school.id,
    milestone: job.milestone!,
    command,
    actor: job.createdBy,
    idempotencyKey: `bulk.${job.id}.${school.id}`,
  });
  if (!outcome.ok) {
    return { schoolId: school.id, outcome: 'rejected', status: outcome.status, code: outcome.code, detail: outcome.message };
  }
  return { schoolId: school.id, outcome: 'ok', status: 200, version: outcome.state.version, milestoneStatus: outcome.state.status };
}
