/**
 * What a stream record's key names (`keyOf`): the dispatchers pick their records by it, so a key of any
 * other item must name nothing.
 */
import { describe, expect, it } from 'vitest';
import { keys, keyOf } from '../../shared/store/keys.js';

const s = (value: string) => ({ S: value });

describe('keyOf', () => {
  it("names a workflow signal's school and milestone, from the key the store writes", () => {
    const { PK, SK } = keys.signal('sch-0001', 'connection');
    expect(keyOf.signal({ PK: s(PK), SK: s(SK) })).toEqual({ schoolId: 'sch-0001', milestone: 'connection' });
  });

  it("names nothing for another item's key, a malformed one, or none", () => {
    expect(keyOf.signal({ PK: s('SCHOOL#sch-0001'), SK: s('MILESTONE#connection') })).toBeNull();
    expect(keyOf.signal({ PK: s('SCHOOL#sch-0001'), SK: s('SIGNAL#') })).toBeNull();
    expect(keyOf.signal({ PK: s('SCHOOL#sch-0001'), SK: s('SIGNAL#a#b') })).toBeNull();
    expect(keyOf.signal({ PK: s('OUTBOX#n-1'), SK: s('SIGNAL#connection') })).toBeNull();
    expect(keyOf.signal(undefined)).toBeNull();
  });

  it("names a notification's id only for an outbox item", () => {
    expect(keyOf.notification({ PK: s('OUTBOX#sch-0001:connection:v1'), SK: s('OUTBOX') })).toBe('sch-0001:connection:v1');
    expect(keyOf.notification({ PK: s('OUTBOX#sch-0001:connection:v1'), SK: s('OTHER') })).toBeNull();
    expect(keyOf.notification({ PK: s('SCHOOL#sch-0001'), SK: s('OUTBOX') })).toBeNull();
  });
});
