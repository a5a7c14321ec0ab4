/**
 * Moving one school to another version of the program, as the migration job does it and as its preview
 * describes it (`migrationPreview`, shared/domain/migration.ts): added milestones are created with their
 * plan, open milestones whose dates the new rules move are re-planned (their reminders follow), open
 * work on removed milestones is waived, and then the school records the version, with its audit event
 * `programVersionChanged`. Last, the school's workflow plans again: it starts what became ready.
 *
 * Every step can run again: a run that stopped part way is resumed by the job's next attempt, which
 * finds the created milestones, the moved dates and the waived work already there.
 */
import { z } from 'zod';
import { createCommandService } from '../../shared/commands/execute.js';
import { initialState, isTerminal, migrationPreview, migrationReplans, type SchoolMigration } from '../../shared/domain/index.js';
import type { JobOutcome } from '../../shared/api/schemas.js';
import { Id, programVersionOf, type Actor, type AdminEvent, type MilestoneState, type School } from '../../shared/program/model.js';
import type { ProgramResolver } from '../../shared/programs/resolver.js';
import { createProgramResolver } from '../../shared/programs/resolver.js';
import type { SchoolRecord } from '../../shared/store/index.js';
import type { JobRunnerDeps } from './jobs.js';

export const MigrationBody = z.object({ programId: Id, version: z.number().int().min(1) }).strict();

/** The preview of one school's move to `version` (null when it follows that version already). */
export async function previewSchool(
  programs: ProgramResolver,
  record: SchoolRecord,
  version: number,
  now: Date,
): Promise<SchoolMigration | null> {
  const from = programVersionOf(record.school);
  if (from === version) return null;
  const states: Record<string, MilestoneState> = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
  return migrationPreview(
    { version: from, program: await programs.version(from) },
    { version, program: await programs.version(version) },
    record.school,
    states,
    now,
  );
}

export async function migrateSchool(
  deps: JobRunnerDeps,
  target: { programId: string; version: number; jobId: string; actor: Actor },
  schoolId: string,
): Promise<JobOutcome> {
  const programs = deps.programs ?? createProgramResolver(deps.store);
  const record = await deps.store.getSchool(schoolId);
  if (!record) return { schoolId, outcome: 'rejected', status: 404, code: 'school-not-found', detail: `school ${schoolId} does not exist` };
  if (record.school.archived) return { schoolId, outcome: 'skipped', status: 0, detail: `school ${schoolId} is archived` };
  const now = deps.clock.now();
  const plan = await previewSchool(programs, record, target.version, now);
  if (!plan) return { schoolId, outcome: 'skipped', status: 0, detail: `already follows version ${target.version}` };
  const to = await programs.version(target.version);
  const commands = createCommandService({ ...deps, programs, signals: deps.signal });

  await deps.store.initMilestones(plan.added.map((a) => initialState(to, record.school, a.milestone, now)));
  // The re-plans of moved milestones, then the waivers of open work on removed ones: one command each.
  const reason = `Не входит в версию ${target.version} программы`;
  const steps = [
    ...migrationReplans(plan).map((r) => ({ milestone: r.milestone, command: r.command, what: 're-plan' })),
    ...plan.removed
      .filter((removed) => {
        const state = record.milestones.find((m) => m.state.key === removed.milestone)?.state;
        return state !== undefined && !isTerminal(state);
      })
      .map((removed) => ({ milestone: removed.milestone, command: { type: 'waive' as const, reason }, what: 'waiver' })),
  ];
  for (const step of steps) {
    const { outcome } = await commands.execute({
      schoolId,
      milestone: step.milestone,
      command: step.command,
      actor: target.actor,
      idempotencyKey: `migration.${target.jobId}.${schoolId}.${step.milestone}`,
    });
    if (!outcome.ok)
      return {
        schoolId,
        outcome: 'rejected',
        status: outcome.status,
        code: outcome.code,
        detail: `${step.what} of ${step.milestone}: ${outcome.message}`,
      };
  }

  const after: School = { ...record.school, programVersion: target.version };
  const event: AdminEvent = {
    subject: { type: 'school', id: schoolId },
    type: 'programVersionChanged',
    at: now.toISOString(),
    actor: target.actor,
    version: record.version + 1,
    changes: [{ field: 'programVersion', from: plan.from, to: plan.to }],
  };
  await deps.store.updateSchoolProfile(after, record.version, event);
  try {
    await deps.signal.wakeProgram(schoolId);
  } catch (error) {
    deps.log('warn', 'migrated school: workflow not woken; the sweep starts what is ready', { schoolId, error: String(error) });
  }
  const detail = [
    `version ${plan.from} → ${plan.to}`,
    plan.added.length ? `added ${plan.added.map((a) => a.milestone).join(', ')}` : '',
    plan.moved.length ? `re-planned ${plan.moved.map((m) => m.milestone).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return { schoolId, outcome: 'ok', status: 200, version: record.version + 1, detail };
}
