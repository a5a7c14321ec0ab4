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

  it('delivers the milestones of a batch side by side, each milestone in stream order, a failed one holding back its later records', async () => {
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
    // The second record of a's connection is not tried once its first failed: both go back to the stream.
    expect(delivered.sort()).toEqual([`${a!.id}/connection`, `${a!.id}/training`, `${b!.id}/training`].sort());
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['201', '202', '203', '204']);
  });
});
