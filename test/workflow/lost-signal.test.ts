/**
 * Signals lost after their commit (issue: "nothing lost"): commands whose workflow signal fails at
 * random — the Step Functions client refuses before anything is sent, as a dropped connection would —
 * leave the signal in the outbox; one daily sweep delivers every pending signal and repairs any lifecycle
 * that waits on an older state, so that afterwards every lifecycle waits in its milestone's phase, at
 * its current version.
 */
import { describe, expect, it } from 'vitest';
import { createCommandService } from '../../shared/commands/execute.js';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import type { Actor, Command, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { Rng } from '../../shared/region/prng.js';
import { PHASE_STATUS } from '../../shared/store/index.js';
import { contractor, CONTRACTORS, evidence, MANAGER, omsk, school } from './fixtures.js';
import { harnessPerTest } from './per-test.js';

const harness = harnessPerTest();

const SCHOOLS = 25;
const CONNECTION = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
/** Eight commands per school, each changing the phase its lifecycle waits in: 200 commands in all. */
function commandsFor(s: School, assignee: string): { command: Command; actor: Actor }[] {
  const submit = (date: string) => ({
    command: { type: 'submit', evidence: evidence('connection', s, date) } as Command,
    actor: contractor(assignee),
  });
  const manager = (command: Command) => ({ command, actor: MANAGER });
  return [
    submit('2021-03-01'),
    manager({ type: 'reject', reason: 'Акт не подписан' }),
    manager({ type: 'hold', reason: 'Ремонт здания' }),
    manager({ type: 'resume' }),
    submit('2021-02-26'),
    manager({ type: 'reject', reason: 'Скорость ниже нормы' }),
    submit('2021-02-27'),
    manager({ type: 'hold', reason: 'Проверка' }),
  ];
}

describe('signals lost after the commit', () => {
  it(
    '200 commands with signals failing at random (seeded): after one sweep every lifecycle waits in its milestone phase',
    { timeout: 300_000 },
    async () => {
      const h = await harness(omsk('2020-12-31', '10:00'));
      const schools = Array.from({ length: SCHOOLS }, (_, i) => school(`sch-lost-${String(i + 1).padStart(2, '0')}`, 2023));
      await h.seed(schools, CONTRACTORS);
      for (const s of schools) await h.ensureProgram(s.id);
      await h.advanceTo(omsk('2021-03-01'));

      const rng = new Rng(20261203);
      const failing = h.failingSignal(() => rng.chance(0.5));
      const service = createCommandService({ store: h.store, program: REFERENCE_PROGRAM, clock: h.clock, signals: failing });
      let failed = 0;
      let commands = 0;
      const scripts = await Promise.all(
        schools.map(async (s) => commandsFor(s, (await h.store.getMilestone(s.id, 'connection'))!.state.assignee!)),
      );
      // The documents every submission needs, attached once while the milestones are open (they stay through rejections).
      for (const [i, s] of schools.entries())
        await attachGeneratedDocuments({ store: h.store, bucket: null }, CONNECTION, s, scripts[i]![0]!.actor, h.clock.now());
      for (let step = 0; step < 8; step++) {
        for (const [i, s] of schools.entries()) {
          const { command, actor } = scripts[i]![step]!;
          const { outcome, signal } = await service.execute({ schoolId: s.id, milestone: 'connection', command, actor });
          if (!outcome.ok) throw new Error(`${s.id} ${command.type} refused: ${outcome.message}`);
          commands++;
          if (signal?.kind === 'failed') failed++;
          await h.settle();
        }
      }
      expect(commands).toBe(200);
      // The faults are real: a good share of the signals did not reach the workflow, and stayed in the outbox.
      expect(failed).toBeGreaterThan(40);
      const pendingBefore = await h.store.listPendingSignals({ limit: 1000 });
      expect(pendingBefore.items.length).toBeGreaterThan(0);
      const behind = await Promise.all(schools.map(async (s) => (await h.store.getMilestone(s.id, 'connection'))!));
      expect(behind.some((m) => m.task === null || m.task.version !== m.state.version)).toBe(true);

      await h.sweep();
      await h.settle();

      expect((await h.store.listPendingSignals({ limit: 1000 })).items).toEqual([]);
      for (const s of schools) {
        const m = (await h.store.getMilestone(s.id, 'connection'))!;
        expect(m.state.status).toBe('on-hold');
        expect(m.task, `${s.id} has a waiting lifecycle`).not.toBeNull();
        expect(PHASE_STATUS[m.task!.phase], `${s.id} waits in the phase of its status`).toBe(m.state.status);
        expect(m.task!.version, `${s.id} waits at its current version`).toBe(m.state.version);
      }
    },
  );
});
