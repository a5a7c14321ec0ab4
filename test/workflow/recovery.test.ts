/**
 * DynamoDB is the source of truth; an execution is a re-creatable driver (DESIGN.md §3.1). On the local
 * runtime with the synthesized definitions and the real handlers:
 * - a stopped lifecycle is re-created by the next command on its milestone (through the program's Plan)
 *   or else by the daily sweep, a stopped program by the lifecycle that wakes it, and executions Step
 *   Functions lost altogether by the next command, each as a new generation that goes on from the
 *   stored state;
 * - a command committed while no step waits (between Refresh and AwaitChange, or with nothing running)
 *   is not lost: the workflow still proceeds; a wait that begins between a command's read and its
 *   commit gets the command's signal.
 */
import { describe, expect, it } from 'vitest';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { createCommandService, type CommandService } from '../../shared/commands/execute.js';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { SignalResult } from '../../functions/common/workflow-signal.js';
import { WORKFLOW_ENTRIES } from '../../infra/aws/constructs/workflows.js';
import { type HandlerWrapper, type Harness } from './harness.js';
import { contractor, CONTRACTORS, evidence, MANAGER, omsk, reminderAt, reminders, school, schoolStaff, signOff } from './fixtures.js';
import { connectionUnderWay, harnessPerTest } from './per-test.js';

const harness = harnessPerTest();

async function running(h: Harness, stateMachineArn: string, prefix: string): Promise<string[]> {
  return (await h.executions(stateMachineArn)).filter((e) => e.name!.startsWith(prefix) && e.status === 'RUNNING').map((e) => e.name!);
}

async function stop(h: Harness, name: string, stateMachineArn: string): Promise<void> {
  const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  await h.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Test.Killed', cause: 'stopped by the test' }));
  await h.settle();
}

const CONNECTION = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
describe('re-created executions', () => {
  it('re-creates a stopped lifecycle in the daily sweep; it goes on from the stored state', async () => {
    const s = school('sch-kill-ms', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone, assignee } = await connectionUnderWay(h, s);
    // Nobody acts on the milestone after its lifecycle is stopped: only the sweep notices.
    await stop(h, 'ms-sch-kill-ms-connection-g1', h.lifecycleArn);

    await h.advanceTo(omsk('2021-03-02', '08:15'));
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1, programsStarted: 0 });
    expect(await running(h, h.lifecycleArn, 'ms-sch-kill-ms-connection-')).toEqual(['ms-sch-kill-ms-connection-g2']);
    // The new generation read the stored state: it waits for the submission.
    expect((await milestone()).task).toMatchObject({
      phase: 'submission',
      executionArn: expect.stringMatching(/:ms-sch-kill-ms-connection-g2$/),
    });
    // A second sweep finds everything running.
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 0, lifecyclesRunning: 1 });

    const submitted = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-02') },
      contractor(assignee),
    );
    expect(submitted.signal).toMatchObject({ kind: 'task-success', executionArn: expect.stringMatching(/-g2$/) });
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success', executionArn: expect.stringMatching(/-g2$/) });
    expect((await milestone()).state.status).toBe('completed');
    const all = (await h.executions(h.lifecycleArn)).filter((e) => e.name!.startsWith('ms-sch-kill-ms-connection-'));
    expect(all.map((e) => [e.name, e.status]).sort()).toEqual([
      ['ms-sch-kill-ms-connection-g1', 'ABORTED'],
      ['ms-sch-kill-ms-connection-g2', 'SUCCEEDED'],
    ]);
  });

  it('re-creates a stopped lifecycle at the next command when the program runs: the signal wakes the program, not the sweep', async () => {
    const s = school('sch-kill-ms-2', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone, assignee } = await connectionUnderWay(h, s);
    await stop(h, 'ms-sch-kill-ms-2-connection-g1', h.lifecycleArn);
    expect(await running(h, h.programArn, 'school-sch-kill-ms-2-')).toEqual(['school-sch-kill-ms-2-1']);

    // The submission's signal finds the stored token dead and the milestone's lifecycle gone; the program
    // (alive, waiting) is woken, and its Plan starts the next generation of the lifecycle at once.
    const r = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'program-woken', executionArn: expect.stringMatching(/:school-sch-kill-ms-2-1$/) });
    expect(await running(h, h.lifecycleArn, 'ms-sch-kill-ms-2-connection-')).toEqual(['ms-sch-kill-ms-2-connection-g2']);
    // It read the stored state: it waits for the acceptance, the same day.
    expect((await milestone()).task).toMatchObject({
      phase: 'acceptance',
      executionArn: expect.stringMatching(/:ms-sch-kill-ms-2-connection-g2$/),
    });
    expect(h.clock.now().getTime()).toBe(omsk('2021-03-01').getTime());
    // The morning sweep has nothing left to do.
    await h.advanceTo(omsk('2021-03-02', '08:15'));
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 0, lifecyclesRunning: 1, programsStarted: 0 });

    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success', executionArn: expect.stringMatching(/-g2$/) });
    expect((await milestone()).state.status).toBe('completed');
  });

  it('replaces a stopped school program when a lifecycle ends; the new generation plans from the stored school', async () => {
    const s = school('sch-kill-prog', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { assignee } = await connectionUnderWay(h, s);
    await stop(h, 'school-sch-kill-prog-1', h.programArn);

    await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    // The lifecycle's Close found the program's token dead and started the next generation.
    expect(await running(h, h.programArn, 'school-sch-kill-prog-')).toEqual(['school-sch-kill-prog-2']);

    await h.advanceTo(omsk('2023-01-02'));
    for (const key of ['equipment', 'training']) expect((await h.store.getMilestone(s.id, key))!.state.status).toBe('active');
  });

  it('starts a new generation on the next command when Step Functions lost every execution', async () => {
    const s = school('sch-lost-all', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone, assignee } = await connectionUnderWay(h, s);
    expect((await milestone()).task).not.toBeNull();

    await h.loseExecutions();
    expect(await h.executions(h.programArn)).toEqual([]);

    const r = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'execution-started', executionArn: expect.stringMatching(/:school-sch-lost-all-1$/) });
    // The new program started a lifecycle for the open milestone, which read that it is submitted.
    expect(await running(h, h.lifecycleArn, 'ms-sch-lost-all-')).toEqual(['ms-sch-lost-all-connection-g1']);
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance' });

    await h.advanceTo(omsk('2021-03-04'));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success' });
    expect((await milestone()).state.status).toBe('completed');
  });
});

describe('reminders due while a lifecycle was down', () => {
  it('sends the reminder that fell due while the lifecycle was stopped once when it is re-created, and never twice', async () => {
    const s = school('sch-missed', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone } = await connectionUnderWay(h, s);
    const deadline = (await milestone()).state.deadline;
    const before30 = `${s.id}:connection:${deadline}:before:30`;
    const before7 = `${s.id}:connection:${deadline}:before:7`;
    // Stopped before the 30-days reminder (1 December 2021, in 09:00–11:00 Omsk), re-created by the sweep the next morning.
    await h.advanceTo(omsk('2021-11-25'));
    await stop(h, 'ms-sch-missed-connection-g1', h.lifecycleArn);
    await h.advanceTo(omsk('2021-12-02', '08:15'));
    expect(reminders(await h.events(s.id), 'connection')).toEqual([]);

    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1 });
    await h.advanceTo(omsk('2021-12-02', '08:20'));
    let events = reminders(await h.events(s.id), 'connection');
    expect(events.map((e) => e.reminderId)).toEqual([before30]);
    // Sent when the lifecycle was back (by its first step, at the sweep's instant), not at its nominal time.
    expect(events[0]!.at).toBe(omsk('2021-12-02', '08:15').toISOString());
    // The new generation waits for the next one of the schedule.
    expect((await milestone()).task).toMatchObject({ phase: 'submission', executionArn: expect.stringMatching(/-g2$/) });

    // Down and re-created once more: what was sent is not sent again.
    await stop(h, 'ms-sch-missed-connection-g2', h.lifecycleArn);
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1 });
    await h.advanceTo(omsk('2021-12-03'));
    expect(reminders(await h.events(s.id), 'connection').map((e) => e.reminderId)).toEqual([before30]);

    // The schedule goes on: the 7-days reminder at its own time, once.
    await h.advanceTo(omsk('2021-12-25'));
    events = reminders(await h.events(s.id), 'connection');
    expect(events.map((e) => [e.reminderId, e.at])).toEqual([
      [before30, events[0]!.at],
      [before7, reminderAt('2021-12-24', s.id, 'connection')],
    ]);
    const notes = (await h.store.listNotificationsFor({ type: 'contractor', org: (await milestone()).state.assignee! }, { limit: 100 }))
      .items;
    expect(
      notes
        .filter((n) => n.notification.kind !== 'weekly-digest' && n.notification.schoolId === s.id && n.notification.kind !== 'status')
        .map((n) => n.notification.id)
        .sort(),
    ).toHaveLength(2);
  });

  it('a lifecycle that begins at the very instant a reminder is due sends it at that instant, as the wait it replaces would have', async () => {
    // The same instant by either way: a wait timing out for the reminder, or a lifecycle (re-created, or
    // resumed after a crash) whose first step reads the milestone then. Nothing differs but the path.
    const s = school('sch-missed-at', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone } = await connectionUnderWay(h, s);
    const deadline = (await milestone()).state.deadline;
    const due = reminderAt('2021-12-01', s.id, 'connection');
    await h.advanceTo(omsk('2021-11-25'));
    await stop(h, 'ms-sch-missed-at-connection-g1', h.lifecycleArn);
    await h.advanceTo(due);
    expect(reminders(await h.events(s.id), 'connection')).toEqual([]);

    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 1 });
    await h.advanceTo(new Date(Date.parse(due) + 60_000));
    const events = reminders(await h.events(s.id), 'connection');
    expect(events.map((e) => [e.reminderId, e.at])).toEqual([[`${s.id}:connection:${deadline}:before:30`, due]]);
    expect((await milestone()).task).toMatchObject({ phase: 'submission', executionArn: expect.stringMatching(/-g2$/) });
  });
});

describe('a milestone started by hand', () => {
  it('gets its lifecycle at once: the command wakes the school program, whose Plan starts it', async () => {
    const s = school('sch-manual-1', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await connectionUnderWay(h, s);
    // Equipment is planned for 2023; the manager starts it now. No lifecycle runs for it: the signal wakes the program.
    const r = await h.command(s.id, 'equipment', { type: 'start' }, MANAGER);
    expect(r.outcome.ok).toBe(true);
    expect(r.signal).toMatchObject({ kind: 'program-woken', executionArn: expect.stringMatching(/:school-sch-manual-1-1$/) });
    expect(await running(h, h.lifecycleArn, 'ms-sch-manual-1-equipment-')).toEqual(['ms-sch-manual-1-equipment-g1']);
    expect((await h.store.getMilestone(s.id, 'equipment'))!.task).toMatchObject({ phase: 'submission' });

    // The next morning's sweep finds both lifecycles running.
    await h.advanceTo(omsk('2021-03-02', '08:15'));
    expect(await h.sweep()).toMatchObject({ lifecyclesStarted: 0, lifecyclesRunning: 2 });
  });
});

describe('signals and waits that cross', () => {
  it('signals a wait that stored its token after the command read the school and before its commit', async () => {
    const s = school('sch-race-2', 2023);
    let armed = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let command: ReturnType<CommandService['execute']> | undefined;
    // The contractor's submission reads the school just before the lifecycle's wait step stores its
    // token, and commits just after that step checked that nothing had changed.
    const wrap: HandlerWrapper = (fn, handler) => {
      if (fn.entry !== WORKFLOW_ENTRIES.awaitMilestone) return handler;
      return async (event, context) => {
        if (armed && (event as { schoolId: string }).schoolId === s.id) {
          armed = false;
          let reachedCommit!: () => void;
          const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
          const store = new Proxy(h!.store, {
            get(target, property, receiver) {
              if (property !== 'commit') return Reflect.get(target, property, receiver) as unknown;
              return async (...args: Parameters<typeof target.commit>) => {
                reachedCommit();
                await released;
                return target.commit(...args);
              };
            },
          });
          const { assignee } = (await h!.store.getMilestone(s.id, 'connection'))!.state;
          await attachGeneratedDocuments({ store: h!.store, bucket: null }, CONNECTION, s, contractor(assignee!), h!.clock.now());
          command = createCommandService({ store, program: REFERENCE_PROGRAM, clock: h!.clock, signals: h!.signal }).execute({
            schoolId: s.id,
            milestone: 'connection',
            command: { type: 'submit', evidence: evidence('connection', s, '2021-12-01') },
            actor: contractor(assignee!),
          });
          // (A refused command would never reach its commit.)
          await Promise.race([
            atCommit,
            command.then((r) => Promise.reject(new Error(`the command ended before its commit: ${JSON.stringify(r.outcome)}`))),
          ]);
        }
        return handler(event, context);
      };
    };
    const h = await harness(omsk('2020-12-31', '10:00'), wrap);
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-11-30'));
    const before = (await h.store.getMilestone(s.id, 'connection'))!.task!;

    // On the morning of 1 December (at the milestone's second of 09:00–11:00) the wait times out and the reminder goes out; the submission is read, the
    // lifecycle waits again with a new token, then the submission commits.
    armed = true;
    await h.advanceTo(omsk('2021-12-01', '12:00'));
    expect(armed).toBe(false);
    const waiting = (await h.store.getMilestone(s.id, 'connection'))!;
    expect(waiting).toMatchObject({ state: { status: 'active' }, task: { phase: 'submission' } });
    expect(waiting.task!.token).not.toBe(before.token);
    release();
    const { outcome, signal } = await command!;
    if (!outcome.ok) throw new Error(`submit refused: ${outcome.message}`);
    // The token stored before the commit (not the used one the command read) is the one signalled: the
    // lifecycle goes on at once, not at its next timer.
    expect(signal).toEqual({ kind: 'task-success', executionArn: waiting.task!.executionArn });
    await h.settle();
    expect(await h.store.getMilestone(s.id, 'connection')).toMatchObject({ state: { status: 'submitted' }, task: { phase: 'acceptance' } });
    expect(h.clock.now().getTime()).toBe(omsk('2021-12-01', '12:00').getTime());

    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success' });
    expect(reminders(await h.events(s.id), 'connection').map((e) => e.at)).toEqual([reminderAt('2021-12-01', s.id, 'connection')]);
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
          await attachGeneratedDocuments({ store: h!.store, bucket: null }, CONNECTION, s, contractor(assignee!), h!.clock.now());
          const { outcome, signal } = await createCommandService({
            store: h!.store,
            program: REFERENCE_PROGRAM,
            clock: h!.clock,
            signals: h!.signal,
          }).execute({
            schoolId: s.id,
            milestone: 'connection',
            command: { type: 'submit', evidence: evidence('connection', s, '2021-12-01') },
            actor: contractor(assignee!),
          });
          if (!outcome.ok) throw new Error(`submit refused: ${outcome.message}`);
          raced = signal as SignalResult | null;
        }
        return handler(event, context);
      };
    };
    const h = await harness(omsk('2020-12-31', '10:00'), wrap);
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-11-30'));

    // On the morning of 1 December (at the milestone's second of 09:00–11:00) the wait times out, Remind sends the 30-day reminder and refreshes, and the
    // contractor submits just before the lifecycle waits again.
    armed = true;
    await h.advanceTo(omsk('2021-12-01', '12:00'));
    expect(armed).toBe(false);
    // The signal found no waiting step (the used token of the previous wait, then the running program).
    expect(raced).toMatchObject({ kind: 'execution-running' });
    expect(reminders(await h.events(s.id), 'connection').map((e) => e.at)).toEqual([reminderAt('2021-12-01', s.id, 'connection')]);
    // The wait noticed the newer version, did not start, and the lifecycle now waits for the acceptance.
    expect(await h.store.getMilestone(s.id, 'connection')).toMatchObject({ state: { status: 'submitted' }, task: { phase: 'acceptance' } });

    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    const accepted = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(accepted.signal).toMatchObject({ kind: 'task-success' });
    expect((await h.store.getMilestone(s.id, 'connection'))!.state.status).toBe('completed');
    // No reminder was sent for a submission that was in.
    await h.advanceTo(omsk('2021-12-31'));
    expect(reminders(await h.events(s.id), 'connection')).toHaveLength(1);
  });

  it('starts from the state a signal brings, and a command committed after it is taken from the refused wait', async () => {
    const s = school('sch-stale-1', 2023);
    let armed = false;
    let seen: { status: string; version: number } | null = null;
    let late: SignalResult | null = null;
    const handed: { status: string; version: number }[] = [];
    // The manager rejects the submission after its signal reached the lifecycle and before the step that
    // starts from the submitted state runs.
    const wrap: HandlerWrapper = (fn, handler) => {
      if (fn.entry !== WORKFLOW_ENTRIES.refresh) return handler;
      return async (event, context) => {
        const committed = (event as { schoolId: string; committed?: { state: { status: string; version: number } } | null }).committed;
        if ((event as { schoolId: string }).schoolId === s.id && committed) handed.push(committed.state);
        if (armed && (event as { schoolId: string }).schoolId === s.id && committed?.state.status === 'submitted') {
          armed = false;
          seen = committed.state;
          const { outcome, signal } = await createCommandService({
            store: h!.store,
            program: REFERENCE_PROGRAM,
            clock: h!.clock,
            signals: h!.signal,
          }).execute({ schoolId: s.id, milestone: 'connection', command: { type: 'reject', reason: 'Акт не подписан' }, actor: MANAGER });
          if (!outcome.ok) throw new Error(`reject refused: ${outcome.message}`);
          late = signal as SignalResult | null;
        }
        return handler(event, context);
      };
    };
    const h = await harness(omsk('2020-12-31', '10:00'), wrap);
    const { milestone, assignee } = await connectionUnderWay(h, s);

    armed = true;
    const submitted = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(submitted.signal).toMatchObject({ kind: 'task-success' });
    await h.settle();
    // The step started from the submission as committed, without reading the school...
    expect(seen).toMatchObject({ status: 'submitted' });
    // ...which the rejection outdated while no step waited: the wait at the submission's version was
    // refused, the lifecycle read the milestone and now waits for the next submission at its version.
    expect(late).not.toBeNull();
    const now = await milestone();
    expect(now.state).toMatchObject({ status: 'active', version: seen!.version + 1, rejections: 1 });
    expect(now.task).toMatchObject({ phase: 'submission', version: now.state.version });
    // The refused wait handed the lifecycle the milestone as its refusal returned it: no read there either.
    expect(handed.at(-1)).toMatchObject({ status: 'active', version: now.state.version });

    const again = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(again.outcome).toMatchObject({ ok: true });
    expect(again.signal).toMatchObject({ kind: 'task-success' });
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance' });
  });

  it('does not lose a command committed while nothing runs: the signal starts the next generation', async () => {
    const s = school('sch-idle-1', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone, assignee } = await connectionUnderWay(h, s);
    await stop(h, 'ms-sch-idle-1-connection-g1', h.lifecycleArn);
    await stop(h, 'school-sch-idle-1-1', h.programArn);
    expect(h.runtime.stats().running).toBe(0);

    const r = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(r.signal).toMatchObject({ kind: 'execution-started', executionArn: expect.stringMatching(/:school-sch-idle-1-2$/) });
    expect(await running(h, h.lifecycleArn, 'ms-sch-idle-1-')).toEqual(['ms-sch-idle-1-connection-g2']);
    expect((await milestone()).task).toMatchObject({ phase: 'acceptance', executionArn: expect.stringMatching(/-g2$/) });

    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect((await milestone()).state.status).toBe('completed');
  });
});
