import { beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyConflictError,
  IdempotencyInProgressError,
  VersionConflictError,
  createStore,
  hashRequest,
  type MilestoneStore,
} from '../../shared/store/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { createTestTable } from '../support/table.js';
import { pending, start } from './fixtures.js';

let store: MilestoneStore;
const clock = new VirtualClock('2022-03-01T09:00:00.000Z');

beforeAll(async () => {
  store = createStore({ ...(await createTestTable('idempotency')), clock });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hashRequest', () => {
  it('does not depend on key order, and does depend on values', () => {
    expect(hashRequest({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(hashRequest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(hashRequest({ a: 1 })).not.toBe(hashRequest({ a: 2 }));
    expect(hashRequest({ a: [1, 2] })).not.toBe(hashRequest({ a: [2, 1] }));
  });
});

describe('withIdempotency', () => {
  it('returns the first result for the same key and body, and refuses another body', async () => {
    let runs = 0;
    const body = { type: 'accept', note: 'ok' };
    const work = async () => ({ run: ++runs, accepted: true });
    const first = await store.withIdempotency('cmd', 'key-1', hashRequest(body), work);
    expect(first).toEqual({ result: { run: 1, accepted: true }, replayed: false });
    const again = await store.withIdempotency('cmd', 'key-1', hashRequest({ note: 'ok', type: 'accept' }), work);
    expect(again).toEqual({ result: { run: 1, accepted: true }, replayed: true });
    await expect(store.withIdempotency('cmd', 'key-1', hashRequest({ ...body, note: 'changed' }), work)).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    // Another scope is another key space.
    expect((await store.withIdempotency('other', 'key-1', hashRequest(body), work)).result.run).toBe(2);
    expect(runs).toBe(2);
  });

  it('runs the work once for 20 concurrent first uses of one key; everyone gets its result', async () => {
    let runs = 0;
    const hash = hashRequest({ bulk: true });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.withIdempotency('cmd', 'key-concurrent', hash, async () => {
          runs++;
          await sleep(150);
          return { done: runs };
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(results.map((r) => r.result)).toEqual(Array.from({ length: 20 }, () => ({ done: 1 })));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('refuses a malformed key or scope with a typed error', async () => {
    for (const [scope, key] of [
      ['cmd', ''],
      ['cmd', 'with space'],
      ['bad#scope', 'k'],
      ['cmd', 'x'.repeat(256)],
    ] as const) {
      await expect(store.withIdempotency(scope, key, 'h', async () => 1)).rejects.toMatchObject({ code: 'invalid-idempotency-key' });
    }
  });

  it('releases the key when the work fails, so that a retry runs it', async () => {
    const hash = hashRequest({ x: 1 });
    await expect(store.withIdempotency('cmd', 'key-fails', hash, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.withIdempotency('cmd', 'key-fails', hash, async () => 'second try')).toEqual({
      result: 'second try',
      replayed: false,
    });
  });

  it('makes a concurrent caller wait no longer than asked, then lets a crashed holder be taken over', async () => {
    const hash = hashRequest({ y: 1 });
    let started!: () => void;
    let release!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const released = new Promise<void>((r) => (release = r));
    const holder = store.withIdempotency(
      'cmd',
      'key-slow',
      hash,
      async () => {
        started();
        await released;
        return 'slow';
      },
      { leaseMs: 60_000 },
    );
    await running;
    await expect(store.withIdempotency('cmd', 'key-slow', hash, async () => 'impatient', { waitMs: 100 })).rejects.toBeInstanceOf(
      IdempotencyInProgressError,
    );
    release();
    expect((await holder).result).toBe('slow');

    // A holder that never finishes (its process died): once its lease runs out, the next caller runs.
    let dead!: () => void;
    const died = new Promise<void>((r) => (dead = r));
    void store.withIdempotency(
      'cmd',
      'key-dead',
      hash,
      () => {
        dead();
        return new Promise(() => {});
      },
      { leaseMs: 1_000 },
    );
    await died;
    clock.advance(2_000);
    expect(await store.withIdempotency('cmd', 'key-dead', hash, async () => 'taken over')).toEqual({
      result: 'taken over',
      replayed: false,
    });
  });

  it('stores the response in the commit transaction: a retry after a crash replays it, never re-runs', async () => {
    const s0 = pending('idem-1');
    await store.initMilestones([s0]);
    const body = { type: 'start', assignee: 'rostelecom' };
    let runs = 0;
    const handle = () =>
      store.withIdempotency('cmd:idem-1', 'key-commit', hashRequest(body), async (lease) => {
        runs++;
        const stored = (await store.getMilestone('idem-1', 'connection'))!.state;
        const { state, event } = start(stored, body.assignee);
        const response = { status: state.status, version: state.version };
        await store.commit({
          schoolId: 'idem-1',
          key: 'connection',
          expectedVersion: stored.version,
          state,
          events: [event],
          idempotency: { lease, response },
        });
        throw new Error('crashed after the commit, before answering');
      });
    await expect(handle()).rejects.toThrow('crashed');
    expect(await handle()).toEqual({ result: { status: 'active', version: 1 }, replayed: true });
    expect(runs).toBe(1);
    expect((await store.history('idem-1')).items).toHaveLength(1);
  });

  it('stores nothing of the idempotency record when the commit loses its race', async () => {
    const s0 = pending('idem-2');
    await store.initMilestones([s0]);
    const winner = start(s0, 'a');
    await store.commit({ schoolId: 'idem-2', key: 'connection', expectedVersion: 0, state: winner.state, events: [winner.event] });
    const hash = hashRequest({ assignee: 'b' });
    const loser = store.withIdempotency('cmd:idem-2', 'key-lost', hash, async (lease) => {
      const { state, event } = start(s0, 'b');
      await store.commit({
        schoolId: 'idem-2',
        key: 'connection',
        expectedVersion: 0,
        state,
        events: [event],
        idempotency: { lease, response: 'never' },
      });
      return 'never';
    });
    await expect(loser).rejects.toBeInstanceOf(VersionConflictError);
    // The key is free again: the client may retry the (re-decided) request with it.
    expect(await store.withIdempotency('cmd:idem-2', 'key-lost', hash, async () => 'retried')).toEqual({
      result: 'retried',
      replayed: false,
    });
  });
});
