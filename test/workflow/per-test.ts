/**
 * What the workflow test files share around the harness: one harness per test, closed after it, and
 * the usual starting point (a school seeded with its program running, on 2021-03-01, when its
 * connection milestone is active and waits for the contractor).
 */
import { afterEach } from 'vitest';
import type { School } from '../../shared/program/model.js';
import type { StoredMilestone } from '../../shared/store/index.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { createHarness, type HandlerWrapper, type Harness } from './harness.js';
import { CONTRACTORS, omsk } from './fixtures.js';

/** Registers the clean-up; the returned function starts a test's harness on the local runtime and DynamoDB Local. */
export function harnessPerTest(): (start: Date, wrap?: HandlerWrapper) => Promise<Harness> {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (start, wrap) => {
    current = await createHarness({ start: start.toISOString(), dynamodbEndpoint: dynamodbEndpoint(), ...(wrap ? { wrap } : {}) });
    return current;
  };
}

/** Seeds `s`, starts its program and runs the clock to 2021-03-01: its connection milestone is active. */
export async function connectionUnderWay(h: Harness, s: School): Promise<{ milestone: () => Promise<StoredMilestone>; assignee: string }> {
  await h.seed([s], CONTRACTORS);
  await h.ensureProgram(s.id);
  await h.advanceTo(omsk('2021-03-01'));
  const milestone = async () => (await h.store.getMilestone(s.id, 'connection'))!;
  const { assignee } = (await milestone()).state;
  if (!assignee) throw new Error(`the connection milestone of ${s.id} has no assignee on 2021-03-01`);
  return { milestone, assignee };
}
