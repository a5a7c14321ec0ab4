/**
 * The workflow-signal dispatcher on the local stack: a command whose signal could not be delivered at
 * once leaves it in the outbox; the table's stream hands it to the dispatcher (the function and its
 * event source come from the synthesized template), which delivers it, and a delivery that fails is
 * reported as that record's failure so that the stream retries it.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import { dispatchSignals } from '../../functions/workflow/signal-dispatcher.js';
import { createCommandService } from '../../shared/commands/execute.js';
import type { Actor } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { keys } from '../../shared/store/keys.js';
import type { PendingSignal } from '../../shared/store/marshall.js';
import { eventually, startApi, type ApiFixture } from '../api/helpers.js';

let api: ApiFixture;
const MANAGER: Actor = { sub: 'manager-1', role: 'program-manager' };

beforeAll(async () => {
  api = await startApi('signals');
});
afterAll(async () => {
  await api?.stop();
});

/** A signal whose Step Functions endpoint refuses every connection, as a network fault would. */
function unreachableSignal() {
  return createWorkflowSignal({
    sfn: new SFNClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
    store: api.stack.store,
    stateMachineArn: api.stack.schoolProgramArn,
    log: () => undefined,
  });
}

async function commandWithLostSignal(schoolId: string, milestone: 'connection' | 'training') {
  const service = createCommandService({
    store: api.stack.store,
    program: REFERENCE_PROGRAM,
    clock: api.stack.clock,
    signals: unreachableSignal(),
  });
  const { outcome, signal } = await service.execute({ schoolId, milestone, command: { type: 'start' }, actor: MANAGER });
  expect(outcome.ok).toBe(true);
  expect(signal?.kind).toBe('failed');
  expect(await api.stack.store.getSignal(schoolId, milestone)).not.toBeNull();
}

describe('workflow-signal dispatcher', () => {
  it('delivers a signal its command could not deliver, from the stream, and the school program runs', { timeout: 60_000 }, async () => {
    const schoolId = api.school.id;
    await commandWithLostSignal(schoolId, 'connection');
    await api.stack.events.drain();
    await eventually(
      async () => (await api.stack.store.getSignal(schoolId, 'connection')) === null,
      'the dispatcher to deliver the signal',
    );
    const running = await api.stack.runtime.listExecutions({ stateMachineArn: api.stack.schoolProgramArn!, statusFilter: 'RUNNING' });
    expect(running.executions.map((e) => e.name)).toContain(`school-${schoolId}-1`);
  });

  it('reports each record whose delivery failed, and skips a signal that is gone', async () => {
    // The stack's own dispatcher stops reading the stream, so that the records below are the only delivery.
    await api.stack.events.stop();
    const other = (await api.stack.store.listAllSchools({ limit: 100 })).items.find((s) => s.id !== api.school.id)!;
    await commandWithLostSignal(other.id, 'training');
    const record = (schoolId: string, milestone: string, seq: string): DynamoDBRecord => {
      const k = keys.signal(schoolId, milestone);
      return { eventName: 'INSERT', dynamodb: { SequenceNumber: seq, Keys: { PK: { S: k.PK }, SK: { S: k.SK } } } };
    };
    const failing = await dispatchSignals({ store: api.stack.store, signal: unreachableSignal() }, [
      record(other.id, 'training', '101'),
      record(other.id, 'equipment', '102'),
    ]);
    expect(failing.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(await api.stack.store.getSignal(other.id, 'training')).not.toBeNull();
  });

  it('delivers the milestones of a batch side by side, each once, a failed one returning all its records', async () => {
    // The stack's dispatcher no longer reads the stream (stopped above): these records are the only delivery.
    const [a, b] = (await api.stack.store.listAllSchools({ limit: 100 })).items.filter((s) => s.id !== api.school.id).slice(1, 3);
    await commandWithLostSignal(a!.id, 'connection');
    await commandWithLostSignal(a!.id, 'training');
    await commandWithLostSignal(b!.id, 'training');
    const unreachable = unreachableSignal();
    let inFlight = 0;
    let most = 0;
    const delivered: string[] = [];
    const watched = {
      deliver: async (pending: Parameters<typeof unreachable.deliver>[0]) => {
        delivered.push(`${pending.schoolId}/${pending.milestone}`);
        most = Math.max(most, ++inFlight);
        try {
          // Long enough for the others to start (a refused connection fails at once).
          await new Promise((resolve) => setTimeout(resolve, 100));
          return await unreachable.deliver(pending);
        } finally {
          inFlight--;
        }
      },
    };
    const record = (schoolId: string, milestone: string, seq: string): DynamoDBRecord => {
      const k = keys.signal(schoolId, milestone);
      return { eventName: 'MODIFY', dynamodb: { SequenceNumber: seq, Keys: { PK: { S: k.PK }, SK: { S: k.SK } } } };
    };
    const result = await dispatchSignals({ store: api.stack.store, signal: watched }, [
      record(a!.id, 'connection', '201'),
      record(a!.id, 'training', '202'),
      record(a!.id, 'connection', '203'),
      record(b!.id, 'training', '204'),
    ]);
    expect(most).toBe(3);
    // a's connection is delivered once (its later record replaced the earlier); it failed: both go back to the stream.
    expect(delivered.sort()).toEqual([`${a!.id}/connection`, `${a!.id}/training`, `${b!.id}/training`].sort());
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['201', '202', '203', '204']);
  });

  it('reads the latest signal of a milestone once per batch; a record of a signal delivered already, or removed after it, signals nothing', async () => {
    // The stack's dispatcher no longer reads the stream (stopped above): these records are the only delivery.
    const c = (await api.stack.store.listAllSchools({ limit: 100 })).items.filter((s) => s.id !== api.school.id)[3]!;
    await commandWithLostSignal(c.id, 'connection');
    const k = keys.signal(c.id, 'connection');
    const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', seq: string): DynamoDBRecord => ({
      eventName,
      dynamodb: { SequenceNumber: seq, Keys: { PK: { S: k.PK }, SK: { S: k.SK } } },
    });
    const reads = { getSignal: 0 };
    const store = {
      getSignal: (schoolId: string, milestone: string) => {
        reads.getSignal++;
        return api.stack.store.getSignal(schoolId, milestone);
      },
    };
    const results: string[] = [];
    // The delivery's own reads of the signal count too: it delivers the signal the dispatcher read, and
    // reads it no second time (the milestone holds no token here: it has no lifecycle yet).
    const real = createWorkflowSignal({
      sfn: new SFNClient({ endpoint: api.stack.sfnEndpoint }),
      store: {
        getSignal: store.getSignal,
        getMilestone: (schoolId, key) => api.stack.store.getMilestone(schoolId, key),
        clearTaskToken: (schoolId, key, options) => api.stack.store.clearTaskToken(schoolId, key, options),
        clearSignal: (schoolId, key, version) => api.stack.store.clearSignal(schoolId, key, version),
      },
      stateMachineArn: api.stack.schoolProgramArn,
      log: () => undefined,
    });
    const signal = { deliver: async (p: PendingSignal) => real.deliver(p).then((r) => (results.push(r.kind), r)) };

    // Two records of the milestone (its signal written, then replaced): one read, one delivery.
    expect((await dispatchSignals({ store, signal }, [record('INSERT', '301'), record('MODIFY', '302')])).batchItemFailures).toEqual([]);
    expect(reads.getSignal).toBe(1);
    // (the school's program was not running: the signal started it)
    expect(results).toEqual(['execution-started']);
    expect(await api.stack.store.getSignal(c.id, 'connection')).toBeNull();

    // The same records again (a retried batch): the signal is gone, nothing is delivered.
    expect((await dispatchSignals({ store, signal }, [record('INSERT', '301'), record('MODIFY', '302')])).batchItemFailures).toEqual([]);
    expect(reads.getSignal).toBe(2);
    expect(results).toEqual(['execution-started']);

    // A write and, after it, the signal's removal in one batch (its command or a bulk job delivered it): nothing is read.
    expect((await dispatchSignals({ store, signal }, [record('MODIFY', '303'), record('REMOVE', '304')])).batchItemFailures).toEqual([]);
    expect(reads.getSignal).toBe(2);
    expect(results).toEqual(['execution-started']);
  });
});
