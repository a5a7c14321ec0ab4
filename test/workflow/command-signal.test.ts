/**
 * The workflow signal of an accepted command goes to the step that was waiting when the command read
 * the school (the signal carries its token, in the outbox too), without reading the milestone again; the
 * commit takes that token off the milestone item, so the signal is its only holder and nothing is left
 * to clear. When the token changed before the commit (the workflow moved on), the commit leaves it, and
 * the signal reads the milestone and reaches the step waiting now. A signal left undelivered is replaced
 * by the next commit's, which carries its token on.
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

/** The workflow signal over the harness's own store, counting the milestone reads and the token clears it makes. */
function countingSignal(h: Harness) {
  const reads = { getMilestone: 0, getSignal: 0, clearTaskToken: 0 };
  const store: MilestoneStore = new Proxy(h.store, {
    get(target, key, receiver) {
      if (key === 'getMilestone') reads.getMilestone++;
      if (key === 'clearTaskToken') reads.clearTaskToken++;
      if (key === 'getSignal') reads.getSignal++;
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
    // The commit took the step's token off the item: nothing is read, and nothing is left to clear.
    expect(reads).toEqual({ getMilestone: 0, getSignal: 0, clearTaskToken: 0 });
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

    // The rejection was decided on a read from before the workflow moved on (the submission step still
    // waiting): its commit finds another token on the item, leaves it there, and its signal, left in the
    // outbox, names no step.
    const readEarlier: MilestoneStore = new Proxy(h.store, {
      get(target, key, receiver) {
        if (key === 'getSchool') {
          return async (id: string) => {
            const record = await target.getSchool(id);
            return (
              record && {
                ...record,
                milestones: record.milestones.map((m) => (m.state.key === 'connection' ? { ...m, task: seen.task } : m)),
              }
            );
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const rejected = await createCommandService({ store: readEarlier, program: REFERENCE_PROGRAM, clock: h.clock, signals: null }).execute({
      schoolId: s.id,
      milestone: 'connection',
      command: { type: 'reject', reason: 'Акт не подписан' },
      actor: MANAGER,
    });
    if (!rejected.outcome.ok) throw new Error(rejected.outcome.message);
    expect((await milestone()).task?.token).toBe(reviewing.task!.token);
    const pending = (await h.store.getSignal(s.id, 'connection'))!;
    expect(pending.task).toBeUndefined();
    expect(pending.taskTaken).toBeUndefined();
    // Delivered with the stale step (as a signal written before commits took tokens would be): that one
    // is gone, so the milestone is read and the acceptance step, waiting now, is signalled.
    const { signal, reads } = countingSignal(h);
    const result = await signal.deliver({ ...pending, task: seen.task! });
    expect(result).toEqual({ kind: 'task-success', executionArn: reviewing.task!.executionArn });
    expect(reads.getMilestone).toBe(1);
    await waitsIn(h, milestone, 'active');
  });

  it('a signal left in the outbox keeps the token its commit took: the next command carries it on', { timeout: 120_000 }, async () => {
    const h = await harness(new Date('2020-12-31T04:00:00Z'));
    const s = school('sch-signal-3', 2023);
    const { milestone, assignee } = await connectionUnderWay(h, s);
    const waiting = await milestone();
    const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
    await attachGeneratedDocuments({ store: h.store, bucket: null }, connection, s, contractor(assignee), h.clock.now());

    // Two commands whose signals are not delivered: the first takes the waiting step's token off the
    // item into its signal; the second reads no step and replaces that signal, carrying the token on.
    const undelivered = createCommandService({ store: h.store, program: REFERENCE_PROGRAM, clock: h.clock, signals: null });
    const submitted = await undelivered.execute({
      schoolId: s.id,
      milestone: 'connection',
      command: { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      actor: contractor(assignee),
    });
    expect(submitted.outcome.ok).toBe(true);
    expect((await milestone()).task).toBeNull();
    expect((await h.store.getSignal(s.id, 'connection'))?.task?.token).toBe(waiting.task!.token);
    const rejected = await undelivered.execute({
      schoolId: s.id,
      milestone: 'connection',
      command: { type: 'reject', reason: 'Акт не подписан' },
      actor: MANAGER,
    });
    expect(rejected.outcome.ok).toBe(true);
    const pending = (await h.store.getSignal(s.id, 'connection'))!;
    expect(pending).toMatchObject({ event: 'rejected', status: 'active', task: { token: waiting.task!.token }, taskTaken: true });
    expect(pending.version).toBe((await milestone()).state.version);

    // Delivered as the command that committed it would deliver it at once (it read no step): the milestone
    // holds no token, so the stored signal is read, and the submission step, still waiting, gets it; the
    // lifecycle reads the rejection and waits for a submission.
    const { signal, reads } = countingSignal(h);
    const { task: _task, taskTaken: _taken, ...asCommitted } = pending;
    expect(await signal.deliver(asCommitted, { asCommitted: true })).toEqual({
      kind: 'task-success',
      executionArn: waiting.task!.executionArn,
    });
    expect(reads).toEqual({ getMilestone: 1, getSignal: 1, clearTaskToken: 0 });
    await waitsIn(h, milestone, 'active');
  });
});
