/**
 * An accepted command answers after two service calls: the school with its milestones (and, for a
 * submission, the documents the milestone item lists) in one Query, then the commit. The workflow signal
 * committed with it reaches the waiting step after the answer, through the table's stream and the signal
 * dispatcher, without reading the milestone again, and the lifecycle's next step starts from the state the
 * signal brings instead of reading the school. Counted on the local stack by wrapping the SDK
 * clients' `send` (test/support/command-calls.ts; `npm run bench -- calls` prints the same figures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCalls, timedCommand, type CallRecorder } from '../support/command-calls.js';
import { attachRequiredDocuments, startApi, todayInOmsk, type ApiFixture, type Caller } from './helpers.js';

let api: ApiFixture;
let recorder: CallRecorder;

beforeAll(async () => {
  api = await startApi('calls');
  recorder = recordCalls(api.stack);
});
afterAll(async () => {
  recorder?.stop();
  await api?.stop();
});

const READ_AND_COMMIT = ['DynamoDB:Query', 'DynamoDB:TransactWriteItems'];

describe('service calls of an accepted command', () => {
  it(
    'submit, reject, sign-off and accept answer after the read and the commit; the dispatcher signals the step after',
    { timeout: 120_000 },
    async () => {
      const { school, stack } = api;
      const base = `/api/schools/${school.id}/milestones/connection`;
      const run = (action: string, as: Caller, body: unknown, then: 'submission' | 'acceptance' | null) =>
        timedCommand(stack, recorder, school.id, 'connection', { path: `${base}/${action}`, token: api.tokens[as]!, body, then });

      // Not counted: the school's first command also reads its program version and the contractors.
      const started = await run('start', 'manager', { assignee: api.contractorOrg }, 'submission');
      expect(started.before.at(-1)).toBe('DynamoDB:TransactWriteItems');
      // The program's Plan started the lifecycles (this one and the others ready) with the state it knew:
      // their first Refresh reads no school (only, being the function's first, the school's program
      // version, which it keeps).
      expect(started.after['workflow-refresh'] ?? []).not.toContain('DynamoDB:Query');
      await attachRequiredDocuments(api, school.id, 'connection');

      const evidence = { kind: 'connection', actNumber: 'АКТ-17', actDate: todayInOmsk(), bandwidthMbps: school.urban ? 120 : 60 };
      const steps = [
        await run('submit', 'contractor', { evidence }, 'acceptance'),
        await run('reject', 'manager', { reason: 'Акт не подписан' }, 'submission'),
        await run('submit', 'contractor', { evidence }, 'acceptance'),
        await run('signoff', 'schoolStaff', { measuredMbps: school.urban ? 110 : 55 }, 'acceptance'),
        await run('accept', 'manager', { note: 'Скорость подтверждена' }, null),
      ];
      for (const step of steps) {
        expect(step.before).toEqual(READ_AND_COMMIT);
        // After the answer: the dispatcher reads the signal, signals the step the command saw waiting, and
        // removes the delivered signal (the commit took the used token off the milestone); it does not
        // read the milestone again.
        expect(step.after['workflow-signals']).toEqual(['DynamoDB:GetItem', 'Step Functions:SendTaskSuccess', 'DynamoDB:DeleteItem']);
        expect(step.toSignal).not.toBeNull();
      }
      // The lifecycle starts from the state the signal brought: no read of the school, only the wait's
      // conditional write (the accept ends the lifecycle instead, and its close wakes the program).
      for (const step of steps.slice(0, -1)) {
        expect(step.after['workflow-refresh'] ?? []).toEqual([]);
        expect(step.after['workflow-await-milestone']).toEqual(['DynamoDB:UpdateItem']);
      }
      expect(steps.at(-1)!.after['workflow-refresh'] ?? []).toEqual([]);
    },
  );
});
