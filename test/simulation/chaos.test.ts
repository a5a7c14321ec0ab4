/**
 * The kill test, small: the program simulation run once uninterrupted and once SIGKILLed, the whole
 * local stack at once (the simulation process, DynamoDB Local's JVM, the user-directory emulator), at 5
 * seeded points and restarted on the same data folder each time; both runs end in the same final state.
 * `npm run chaos` runs the full version (100 schools, seed 7, the whole program, 20 kills).
 *
 * Each start of the stack costs a JVM and a synthesis (tens of seconds on a busy 2-core machine), so
 * the region is small and the period one year: what is tested is that no kill point loses or repeats
 * anything, not the size of the region.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../shared/clock.js';
import { Mailbox } from '../../infra/local/mailbox.js';
import { diffFinalStates, fileDurability, inspectResume, simulationFolder, type FinalState } from '../../infra/local/simulation/durable.js';
import { createRuntime } from '../../infra/local/sfn/index.js';
import { killPoints, runChaos } from '../../infra/local/simulation/chaos.js';
import { REPO_ROOT } from '../../infra/local/stack.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cos-chaos-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const pairs = (state: FinalState) => state.inbox.map((line) => `${line.id} ${line.destination}`);

describe('kill test', () => {
  it(
    'a run SIGKILLed at 5 seeded points and resumed each time ends exactly as the uninterrupted run',
    async () => {
      const result = await runChaos({
        schools: 4,
        seed: 7,
        from: '2021-01-01',
        to: '2021-12-31',
        kills: 5,
        dataDir: tempDir(),
        root: REPO_ROOT,
      });
      if (result.differences.length > 0) console.error(result.differences.join('\n'));
      expect(result.differences).toEqual([]);
      // Every kill landed before the run could finish: 5 processes killed, a 6th finished the run.
      expect(result.kills).toHaveLength(5);
      expect(result.missed).toBe(0);
      expect(result.starts).toBe(6);
      // Something to compare: all 16 milestones, a history, notifications sent and none left behind.
      expect(result.reference.milestones).toHaveLength(16);
      expect(result.reference.events.length).toBeGreaterThan(16);
      expect(result.reference.inbox.length).toBeGreaterThan(0);
      expect(result.killed.pending).toEqual([]);
      // No notification reached a recipient twice, whatever the mailbox received.
      for (const state of [result.reference, result.killed]) expect(new Set(pairs(state)).size).toBe(state.inbox.length);
      expect(result.reference.mailbox.duplicates).toBe(0);
    },
    15 * 60_000,
  );

  it('a restart refuses a folder an uninterrupted run could not have left: the clock past the next entry, or a timer due before it', async () => {
    const folder = simulationFolder(tempDir());
    const t0 = Date.parse('2021-03-01T02:00:00Z');
    const minutes = (n: number) => t0 + n * 60_000;
    // The runtime's side: one execution waiting in a Wait state until t0 + 60 min, its last transition at t0.
    const runtime = createRuntime({ clock: new VirtualClock(t0), store: { dataDir: folder.sfnDir } });
    const definition = { QueryLanguage: 'JSONata', StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 3600, End: true } } };
    const { stateMachineArn } = runtime.createStateMachine({ name: 'Nap', definition: JSON.stringify(definition) });
    runtime.startExecution({ stateMachineArn, name: 'nap', input: '{}' });
    await runtime.idle();
    await runtime.close();
    // The people's side: a checkpoint at `now` with its next entry at `next`.
    const stats = {
      commands: {},
      refused: [],
      signals: {},
      activations: 0,
      observations: 0,
      actions: 3,
      executions: 0,
      runningExecutions: 0,
      transitions: 0,
    };
    const checkpoint = (now: number, next: number) =>
      fileDurability(folder).save({
        phase: 'running',
        now,
        agenda: { entries: [{ at: next, seq: 7, item: { kind: 'observe', schoolId: 'sch-0001' } }], seq: 8 },
        schools: [],
        stats,
      });

    checkpoint(minutes(30), minutes(45));
    const fine = inspectResume(folder, minutes(0))!;
    expect(fine.problems).toEqual([]);
    expect(fine.line).toContain('clock at 2021-03-01T02:30:00.000Z');
    expect(fine.line).toContain("runtime's latest transition at 2021-03-01T02:00:00.000Z");
    expect(fine.line).toMatch(/1 executions running, 2 timers \(next at 2021-03-01T03:00:00.000Z, 0 due before the clock\)/);

    checkpoint(minutes(50), minutes(45));
    expect(inspectResume(folder, minutes(0))!.problems).toEqual([
      'the clock resumes at 2021-03-01T02:50:00.000Z, after the next entry of the agenda (2021-03-01T02:45:00.000Z)',
    ]);

    checkpoint(minutes(90), minutes(120));
    expect(inspectResume(folder, minutes(0))!.problems.join('\n')).toMatch(
      /1 timer\(s\) of the runtime are due before the clock resumes at 2021-03-01T03:30:00.000Z \(the first at 2021-03-01T03:00:00.000Z\)/,
    );
  });

  it('kill points are seeded: the same seed and run give the same points, each inside the run', () => {
    const a = killPoints(7, 300, 20);
    expect(killPoints(7, 300, 20)).toEqual(a);
    expect(killPoints(8, 300, 20)).not.toEqual(a);
    expect(new Set(a.map((k) => k.afterActions)).size).toBe(20);
    for (const k of a) {
      expect(k.afterActions).toBeGreaterThanOrEqual(0);
      expect(k.afterActions).toBeLessThan(300);
    }
  });

  it('the mailbox shows a notification re-sent after a crash between its send and its record once', async () => {
    const file = path.join(tempDir(), 'mailbox.jsonl');
    const clock = new VirtualClock('2021-03-01T09:00:00Z');
    const message = {
      id: 'sch-0001:connection:2021-03-01:before:7',
      recipient: { type: 'contractor' as const, org: 'prov-1' },
      subject: { ru: 'Напоминание', en: 'Reminder' },
      body: { ru: 'Срок через 7 дней', en: 'Due in 7 days' },
      attributes: { kind: 'reminder' },
    };
    // The first process sends, then dies before the ledger records the destination.
    const crashed = new Mailbox(file, clock);
    await expect(crashed.send(message, { reached: new Set(), record: () => Promise.reject(new Error('killed')) })).rejects.toThrow(
      'killed',
    );
    // The next process reads the same outbox entry (destination not recorded) and sends again.
    const recorded: string[] = [];
    const resumed = new Mailbox(file, clock);
    await resumed.send(message, { reached: new Set(), record: async (d) => void recorded.push(d) });
    const received = resumed.received();
    expect(received).toHaveLength(2);
    expect(received.map((l) => l.duplicate)).toEqual([false, true]);
    expect(recorded).toEqual(['contractor:prov-1']);
    // Once recorded, a retry sends nothing at all.
    await resumed.send(message, { reached: new Set(recorded), record: async () => undefined });
    expect(resumed.received()).toHaveLength(2);
  });

  it('the comparison names an event lost, an event recorded twice, a changed milestone and a missing notification', () => {
    const event = {
      type: 'accepted',
      schoolId: 'sch-0001',
      milestone: 'connection',
      at: '2021-05-04T10:00:00.000Z',
      actor: { role: 'program-manager', sub: 'm' },
      version: 4,
    };
    const other = { ...event, type: 'submitted', version: 3 };
    const milestone = { schoolId: 'sch-0001', key: 'connection', status: 'completed', version: 4 };
    const line = {
      id: 'n1',
      destination: 'program-manager',
      recipient: { type: 'program-manager' },
      subject: { ru: 'a', en: 'a' },
      attributes: {},
      receivedAt: '2021-05-04T10:00:00.000Z',
      duplicate: false,
    };
    const base = {
      table: 'T',
      milestones: [milestone],
      events: [other, event],
      inbox: [line],
      pending: [],
      mailbox: { received: 1, duplicates: 0 },
    } as unknown as FinalState;
    expect(diffFinalStates(base, structuredClone(base))).toEqual([]);
    const lost = diffFinalStates(base, { ...base, events: [other] } as unknown as FinalState);
    expect(lost.join('\n')).toMatch(/audit events \(2 vs 1[^]*- .*"type":"accepted"/);
    const twice = diffFinalStates(base, { ...base, events: [other, event, event] } as unknown as FinalState);
    expect(twice.join('\n')).toMatch(/audit events \(2 vs 3[^]*\+ .*"type":"accepted"/);
    const changed = diffFinalStates(base, { ...base, milestones: [{ ...milestone, version: 5 }] } as unknown as FinalState);
    expect(changed.join('\n')).toMatch(/milestones[^]*- .*"version":4[^]*\+ .*"version":5/);
    expect(diffFinalStates(base, { ...base, inbox: [] }).join('\n')).toMatch(/notifications received \(1 vs 0/);
    expect(diffFinalStates(base, { ...base, table: 'U' })[0]).toBe('KPI table:');
  });
});
