/**
 * DynamoDB is the source of truth; an execution is a re-creatable driver (DESIGN.md §3.1). On the local
 * runtime with the synthesized definitions and the real handlers:
 * - a stopped lifecycle is re-created by the daily sweep, a stopped program by the lifecycle that wakes
 *   it, and executions Step Functions lost altogether by the next command, each as a new generation that
 *   goes on from the stored state;
 * - a command committed while no step waits (between Refresh and AwaitChange, or with nothing running)
 *   is not lost: the workflow still proceeds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { executeCommand } from '../../shared/commands/execute.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { SignalResult } from '../../functions/common/workflow-signal.js';
import { WORKFLOW_ENTRIES } from '../../infra/aws/constructs/workflows.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { createHarness, type HandlerWrapper, type Harness } from './harness.js';
import { contractor, CONTRACTORS, evidence, MANAGER, omsk, reminders, school } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(start: Date, wrap?: HandlerWrapper): Promise<Harness> {
  h = await createHarness({ start: start.toISOString(), dynamodbEndpoint: dynamodbEndpoint(), ...(wrap ? { wrap } : {}) });
  return h;
}

async function running(h: Harness, stateMachineArn: string, prefix: string): Promise<string[]> {
  return (await h.executions(stateMachineArn)).filter((e) => e.name!.startsWith(prefix) && e.status === 'RUNNING').map((e) => e.name!);
}

async function stop(h: Harness, name: string, stateMachineArn: string): Promise<void> {
  const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  await h.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Test.Killed', cause: 'stopped by the test' }));
  await h.settle();
}

describe('re-created executions', () => {
  it('re-creates a stopped lifecycle in the daily sweep; it goes on from the stored state', async () => {
    const s = school('sch-kill-ms', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-03-01'));
    const milestone = async () => (await h.store.getMilestone(s.id, 'connection'))!;
    const { assignee } = (await milestone()).state;
    await stop(h, 'ms-sch-kill-ms-connection-g1', h.lifecycleArn);

    // The submission is stored; its signal finds the step gone and the school's program running.
    const r = await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee!));
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'execution-running' });
    expect(await milestone()).toMatchObject({ state: { status: 'submitted' }, task: null });

    await h.advanceTo(omsk('2021-03-02', '08:15'));
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1, programsStarted: 0 });
    expect(await running(h, h.lifecycleArn, 'ms-sch-kill-ms-connection-')).toEqual(['ms-sch-kill-ms-connection-g2']);
    // The new generation read the stored state: it waits for the acceptance.
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance', executionArn: expect.stringMatching(/:ms-sch-kill-ms-connection-g2$/) });
    // A second sweep finds everything running.
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 0, lifecyclesRunning: 1 });

    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success', executionArn: expect.stringMatching(/-g2$/) });
    expect((await milestone()).state.status).toBe('completed');
    const all = (await h.executions(h.lifecycleArn)).filter((e) => e.name!.startsWith('ms-sch-kill-ms-connection-'));
    expect(all.map((e) => [e.name, e.status]).sort()).toEqual([
      ['ms-sch-kill-ms-connection-g1', 'ABORTED'],
      ['ms-sch-kill-ms-connection-g2', 'SUCCEEDED'],
    ]);
  });

  it('replaces a stopped school program when a lifecycle ends; the new generation plans from the stored school', async () => {
    const s = school('sch-kill-prog', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-03-01'));
    const { assignee } = (await h.store.getMilestone(s.id, 'connection'))!.state;
    await stop(h, 'school-sch-kill-prog-1', h.programArn);

    await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee!));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    // The lifecycle's Close found the program's token dead and started the next generation.
    expect(await running(h, h.programArn, 'school-sch-kill-prog-')).toEqual(['school-sch-kill-prog-2']);

    await h.advanceTo(omsk('2023-01-02'));
    for (const key of ['equipment', 'training']) expect((await h.store.getMilestone(s.id, key))!.state.status).toBe('active');
  });

  it('starts a new generation on the next command when Step Functions lost every execution', async () => {
    const s = school('sch-lost-all', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-03-01'));
    const milestone = async () => (await h.store.getMilestone(s.id, 'connection'))!;
    const { assignee } = (await milestone()).state;
    expect((await milestone()).task).not.toBeNull();

    await h.loseExecutions();
    expect(await h.executions(h.programArn)).toEqual([]);

    const r = await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee!));
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'execution-started', executionArn: expect.stringMatching(/:school-sch-lost-all-1$/) });
    // The new program started a lifecycle for the open milestone, which read that it is submitted.
    expect(await running(h, h.lifecycleArn, 'ms-sch-lost-all-')).toEqual(['ms-sch-lost-all-connection-g1']);
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance' });

    await h.advanceTo(omsk('2021-03-04'));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success' });
    expect((await milestone()).state.status).toBe('completed');
  });
});

describe('the daily workflow sweep', () => {
  it('gives a milestone a manager started by hand its lifecycle by the next morning', async () => {
    const s = school('sch-manual-1', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-03-01'));
    // Equipment is planned for 2023; the manager starts it now. The signal finds the school's program running.
    const r = await h.command(s.id, 'equipment', { type: 'start' }, MANAGER);
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'execution-running' });
    expect(await running(h, h.lifecycleArn, 'ms-sch-manual-1-equipment-')).toEqual([]);

    await h.advanceTo(omsk('2021-03-02', '08:15'));
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1, lifecyclesRunning: 1 });
    expect(await running(h, h.lifecycleArn, 'ms-sch-manual-1-equipment-')).toEqual(['ms-sch-manual-1-equipment-g1']);
    expect((await h.store.getMilestone(s.id, 'equipment'))!.task).toMatchObject({ phase: 'submission' });
  });
});

describe('signals while no step waits', () => {
  it('does not lose a command committed between Refresh and AwaitChange', async () => {
    const s = school('sch-race-1', 2023);
    let armed = false;
    let raced: SignalResult | null = null;
    // The command lands after the lifecycle read the milestone and before its next wait stores a token.
    const wrap: HandlerWrapper = (fn, handler) => {
      if (fn.entry !== WORKFLOW_ENTRIES.awaitMilestone) return handler;
      return async (event, context) => {
        if (armed && (event as { schoolId: string }).schoolId === s.id) {
          armed = false;
          const { assignee } = (await h!.store.getMilestone(s.id, 'connection'))!.state;
          const { outcome, context: read } = await executeCommand(
            { store: h!.store, program: REFERENCE_PROGRAM, clock: h!.clock },
            { schoolId: s.id, milestone: 'connection', command: { type: 'submit', evidence: evidence('connection', s, '2021-12-01') }, actor: contractor(assignee!) },
          );
          if (!outcome.ok) throw new Error(`submit refused: ${outcome.message}`);
          raced = await h!.signal.afterCommit({ schoolId: s.id, milestone: 'connection', state: outcome.state, events: outcome.events, task: read.task, tasks: read.tasks });
        }
        return handler(event, context);
      };
    };
    const h = await harness(omsk('2020-12-31', '10:00'), wrap);
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-11-30'));

    // On 1 December at 09:00 the wait times out, Remind sends the 30-day reminder and refreshes, and the
    // contractor submits just before the lifecycle waits again.
    armed = true;
    await h.advanceTo(omsk('2021-12-01', '12:00'));
    expect(armed).toBe(false);
    // The signal found no waiting step (the used token of the previous wait, then the running program).
    expect(raced).toMatchObject({ kind: 'execution-running' });
    expect(reminders(await h.events(s.id), 'connection').map((e) => e.at)).toEqual([omsk('2021-12-01', '09:00').toISOString()]);
    // The wait noticed the newer version, did not start, and the lifecycle now waits for the acceptance.
    expect(await h.store.getMilestone(s.id, 'connection')).toMatchObject({ state: { status: 'submitted' }, task: { phase: 'acceptance' } });

    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success' });
    expect((await h.store.getMilestone(s.id, 'connection'))!.state.status).toBe('completed');
    // No reminder was sent for a submission that was in.
    await h.advanceTo(omsk('2021-12-31'));
    expect(reminders(await h.events(s.id), 'connection')).toHaveLength(1);
  });

  it('does not lose a command committed while nothing runs: the signal starts the next generation', async () => {
    const s = school('sch-idle-1', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-03-01'));
    const milestone = async () => (await h.store.getMilestone(s.id, 'connection'))!;
    const { assignee } = (await milestone()).state;
    await stop(h, 'ms-sch-idle-1-connection-g1', h.lifecycleArn);
    await stop(h, 'school-sch-idle-1-1', h.programArn);
    expect(h.runtime.stats().running).toBe(0);

    const r = await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee!));
    expect(r.signal).toMatchObject({ kind: 'execution-started', executionArn: expect.stringMatching(/:school-sch-idle-1-2$/) });
    expect(await running(h, h.lifecycleArn, 'ms-sch-idle-1-')).toEqual(['ms-sch-idle-1-connection-g2']);
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance', executionArn: expect.stringMatching(/-g2$/) });

    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect((await milestone()).state.status).toBe('completed');
  });
});
