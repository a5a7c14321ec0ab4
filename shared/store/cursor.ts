/**
 * Opaque pagination cursors: base64url of `{ q, k }` (one query) or `{ q, s }` (one position per shard),
 * where `q` names the listing that issued it and the positions are DynamoDB keys with string values.
 * Decoding checks everything (shape, attribute names, the partition the listing is allowed to read);
 * anything else is an InvalidCursorError, which the API answers with 400.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { InvalidCursorError } from './errors.js';

export type KeyValues = Record<string, string>;
export type StartKey = Record<string, AttributeValue>;
/** A shard's position: not started (null), after this key, or exhausted. */
export type ShardPosition = null | KeyValues | 'done';

const MAX_CURSOR_LENGTH = 4096;

const KeyShape = z.record(z.string(), z.string().min(1).max(2048));
const SingleCursor = z.object({ q: z.string(), k: KeyShape }).strict();
const ShardCursor = z.object({ q: z.string(), s: z.array(z.union([z.null(), z.literal('done'), KeyShape])) }).strict();

function encode(body: unknown): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decode(cursor: string): unknown {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
}

/** The string values of the named attributes of a key (LastEvaluatedKey or an item). */
export function keyValues(item: StartKey, attrs: readonly string[]): KeyValues {
  const out: KeyValues = {};
  for (const a of attrs) {
    const s = item[a]?.S;
    if (s === undefined) throw new Error(`key attribute ${a} missing`);
    out[a] = s;
  }
  return out;
}

export function toStartKey(values: KeyValues): StartKey {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { S: v }]));
}

function checkKey(k: KeyValues, attrs: readonly string[], allowed: (k: KeyValues) => boolean): void {
  const names = Object.keys(k).sort();
  const expected = [...attrs].sort();
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) throw new InvalidCursorError('wrong key attributes');
  if (!allowed(k)) throw new InvalidCursorError('the cursor belongs to another listing');
}

export function encodeCursor(query: string, key: KeyValues): string {
  return encode({ q: query, k: key });
}

export function decodeCursor(cursor: string, query: string, attrs: readonly string[], allowed: (k: KeyValues) => boolean): StartKey {
  const parsed = SingleCursor.safeParse(decode(cursor));
  if (!parsed.success) throw new InvalidCursorError('malformed');
  if (parsed.data.q !== query) throw new InvalidCursorError('the cursor belongs to another listing');
  checkKey(parsed.data.k, attrs, allowed);
  return toStartKey(parsed.data.k);
}

export function encodeShardCursor(query: string, positions: ShardPosition[]): string {
  return encode({ q: query, s: positions });
}

export function decodeShardCursor(
  cursor: string,
  query: string,
  shards: number,
  attrs: readonly string[],
  allowed: (shard: number, k: KeyValues) => boolean,
): ShardPosition[] {
  const parsed = ShardCursor.safeParse(decode(cursor));
  if (!parsed.success) throw new InvalidCursorError('malformed');
  if (parsed.data.q !== query) throw new InvalidCursorError('the cursor belongs to another listing');
  if (parsed.data.s.length !== shards) throw new InvalidCursorError('wrong number of shards');
  parsed.data.s.forEach((p, i) => {
    if (p !== null && p !== 'done') checkKey(p, attrs, (k) => allowed(i, k));
  });
  return parsed.data.s;
}
