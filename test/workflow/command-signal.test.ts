/**
 * The workflow signal of an accepted command goes to the step that was waiting when the command read
 * the school (the signal carries its token, in the outbox too), without reading the milestone again;
 * when that step is gone by then (the workflow moved on), the signal reads the milestone and reaches the
 * step waiting now.
 */
import { describe, expect, it } from 'vitest';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import { createCommandService } from '../../shared/commands/execute.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { MilestoneStatus } from '../../shared/program/model.js';
import { PHASE_STATUS, type MilestoneStore, type StoredMilestone } from '../../shared/store/index.js';
import { contractor, evidence, MANAGER, school } from './fixtures.js';
import type { Harness } from './harness.js';
import { connectionUnderWay, harnessPerTest } from './per-test.js';

const harness = harnessPerTest();

/** The workflow signal over the harness's own store, counting the milestone reads it makes. */
function countingSignal(h: Harness) {
  const reads = { getMilestone: 0 };
  const store: MilestoneStore = new Proxy(h.store, {
    get(target, key, receiver) {
      if (key === 'getMilestone') reads.getMilestone++;
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const signal = createWorkflowSignal({ sfn: h.sfn, store, stateMachineArn: h.programArn, log: () => undefined });
  return { signal, reads };
}

/** After the workflow settles: the milestone is in `status`, its lifecycle waits in that phase at its version, no signal is pending. */
async function waitsIn(h: Harness, milestone: () => Promise<StoredMilestone>, status: MilestoneStatus): Promise<StoredMilestone> {
  await h.settle();
  const after = await milestone();
  expect(after.state.status).toBe(status);
  expect(PHASE_STATUS[after.task!.phase]).toBe(status);
  expect(after.task!.version).toBe(after.state.version);
  expect((await h.store.listPendingSignals()).items).toEqual([]);
  return after;
}

describe('the signal of an accepted command', () => {
  it('reaches the step the command saw waiting, with no second read of the milestone', { timeout: 120_000 }, async () => {
    const h = await harness(new Date('2020-12-31T04:00:00Z'));
    const s = school('sch-signal-1', 2023);
    const { milestone, assignee } = await connectionUnderWay(h, s);
    const before = await milestone();
    expect(before.task?.phase).toBe('submission');

    const { signal, reads } = countingSignal(h);
    const service = createCommandService({ store: h.store, program: REFERENCE_PROGRAM, clock: h.clock, signals: signal });
    const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
    await attachGeneratedDocuments({ store: h.store, bucket: null }, connection, s, contractor(assignee), h.clock.now());
    const { outcome, signal: delivered } = await service.execute({
      schoolId: s.id,
      milestone: 'connection',
      command: { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      actor: contractor(assignee),
    });
    expect(outcome.ok).toBe(true);
    expect(delivered).toEqual({ kind: 'task-success', executionArn: before.task!.executionArn });
    expect(reads.getMilestone).toBe(0);
    const after = await waitsIn(h, milestone, 'submitted');
    expect(after.task!.token).not.toBe(before.task!.token);
  });

  it('reads the milestone and signals the step waiting now when the one the command saw is gone', { timeout: 120_000 }, async () => {
    const h = await harness(new Date('2020-12-31T04:00:00Z'));
    const s = school('sch-signal-2', 2023);
    const { milestone, assignee } = await connectionUnderWay(h, s);
    const seen = await milestone();

    // The workflow moves on after the read: the submission is signalled and the acceptance step waits.
    const submitted = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(submitted.signal?.kind).toBe('task-success');
    const reviewing = await milestone();
    expect(reviewing.task?.phase).toBe('acceptance');

    // The rejection is committed with its signal left in the outbox, then delivered with the stale step.
    const rejected = await createCommandService({ store: h.store, program: REFERENCE_PROGRAM, clock: h.clock, signals: null }).execute({
      schoolId: s.id,
      milestone: 'connection',
      command: { type: 'reject', reason: 'Акт не подписан' },
      actor: MANAGER,
    });
    if (!rejected.outcome.ok) throw new Error(rejected.outcome.message);
    const pending = (await h.store.getSignal(s.id, 'connection'))!;
    // The outbox keeps the step the rejection saw waiting (the acceptance step); this one is older still.
    expect(pending.task?.token).toBe(reviewing.task!.token);
    const { signal, reads } = countingSignal(h);
    const result = await signal.deliver({ ...pending, task: seen.task! });
    expect(result).toEqual({ kind: 'task-success', executionArn: reviewing.task!.executionArn });
    expect(reads.getMilestone).toBe(1);
    await waitsIn(h, milestone, 'active');
  });
});
