/**
 * JSON text as the service reads and writes it.
 *
 * - `parseStrictJson` ($parse): what `JSON.parse` accepts, minus a key repeated in one object and a
 *   number too large for a double; each refusal is JSONata's D3137 "Invalid JSON", as the service
 *   answers (blank text and a second document after the first are refused by `JSON.parse` already).
 * - `parseJsonText` (execution input, task results, variables, checkpoints): `JSON.parse`, except that
 *   a whole number written without a fraction or exponent that a double cannot hold, but a Java long
 *   can (−2^63 … 2^63−1), is read as an `ExactInteger` holding all its digits, as the service keeps it:
 *   9007199254740993 stays 9007199254740993 (a double would make it …992). Past the long range it is a
 *   double, as in the service. Text without a run of 16 digits cannot hold such a number and is read
 *   by `JSON.parse` alone.
 * - `stringifyJson` (state and execution output, history payloads): `JSON.stringify`, except for whole
 *   numbers, which the service prints as a Java long while they fit one (all digits:
 *   2^60 is 1152921504606846976, not JavaScript's 1152921504606847000) and as a Java double past it
 *   (9.223372036854776E18, 1.0E21). Other numbers are printed as JavaScript prints them; an
 *   `ExactInteger` with its digits (also by plain `JSON.stringify`, through its `toJSON`).
 */
import { JsonataError } from './errors.js';

const LONG_LIMIT = 2 ** 63;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

declare global {
  interface JSON {
    /** ES2025 (Node 21+): a value JSON.stringify writes as the given text. */
    rawJSON(text: string): unknown;
  }
}

/**
 * A whole number within the long range that a double cannot hold, with all its digits. It is an
 * object, so paths and constructors in JSONata carry it unchanged; where arithmetic or a function needs
 * a number, `withDoubles` gives its nearest double (JSONata computes in doubles, as the service does).
 */
export class ExactInteger {
  readonly #value: bigint;
  constructor(value: bigint) {
    this.#value = value;
  }
  get bigint(): bigint {
    return this.#value;
  }
  toString(): string {
    return this.#value.toString();
  }
  /** JSON.stringify writes the digits. */
  toJSON(): unknown {
    return JSON.rawJSON(this.#value.toString());
  }
  /** The nearest double. */
  valueOf(): number {
    return Number(this.#value);
  }
}

/** How many ExactIntegers were ever made: while none were, no value can hold one (the fast path). */
let exactMade = 0;

export function exactIntegersSeen(): boolean {
  return exactMade > 0;
}

const INTEGER_SOURCE = /^-?\d+$/;

/** JSON.parse's reviver: an integer literal a double rounds, but a long holds, becomes an ExactInteger. */
function reviveExact(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value) || !Number.isFinite(value)) return value;
  const source = context?.source;
  if (source === undefined || !INTEGER_SOURCE.test(source)) return value;
  const exact = BigInt(source);
  // The double of −2^63 is exact but prints as a Java double: the long minimum needs its digits kept.
  if (exact < LONG_MIN || exact > LONG_MAX || (BigInt(value) === exact && exact !== LONG_MIN)) return value;
  exactMade++;
  return new ExactInteger(exact);
}

/** JSON.parse, keeping whole numbers up to the long boundary exact (see the file comment). */
export function parseJsonText(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text) as unknown;
  return JSON.parse(text, reviveExact as (key: string, value: unknown) => unknown) as unknown;
}

/**
 * The value with each ExactInteger replaced by its nearest double: what JSONata computes with, and
 * what a function's handler receives (JSON.parse in Node). The same reference when there is none.
 */
export function withDoubles(value: unknown): unknown {
  if (exactMade === 0 || value === null || typeof value !== 'object') return value;
  if (value instanceof ExactInteger) return value.valueOf();
  let copy: unknown[] | Record<string, unknown> | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      const d = withDoubles(item);
      if (copy === undefined && d !== item) copy = value.slice(0, i) as unknown[];
      if (copy !== undefined) (copy as unknown[]).push(d);
    }
    // JSONata marks sequences with own properties; a copy keeps them.
    if (copy !== undefined)
      for (const k of Object.keys(value))
        if (!/^\d+$/.test(k)) (copy as unknown as Record<string, unknown>)[k] = (value as unknown as Record<string, unknown>)[k];
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const item = (value as Record<string, unknown>)[keys[i]!];
      const d = withDoubles(item);
      if (copy === undefined && d !== item) {
        copy = {};
        for (let j = 0; j < i; j++) copy[keys[j]!] = (value as Record<string, unknown>)[keys[j]!];
      }
      if (copy !== undefined) (copy as Record<string, unknown>)[keys[i]!] = d;
    }
  }
  return copy ?? value;
}

function invalid(): JsonataError {
  return new JsonataError('D3137', 'Invalid JSON');
}

/** Walks the text once to find a key repeated in one object (strings are skipped as wholes). */
function hasDuplicateKey(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const keys = stack[stack.length - 1]!;
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') expectKey = stack[stack.length - 1] !== null;
  }
  return false;
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (Array.isArray(value)) return value.some(hasNonFinite);
  if (value && typeof value === 'object') return Object.values(value).some(hasNonFinite);
  return false;
}

/** `$parse`: strict JSON; `exact` keeps whole numbers up to the long boundary exact (see parseJsonText). */
export function parseStrictJson(text: string, exact = false): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw invalid();
  }
  if (exact && /\d{16}/.test(text)) value = JSON.parse(text, reviveExact as (key: string, value: unknown) => unknown) as unknown;
  // JSON.parse has refused malformed text; the object scan is needed only where a key could repeat.
  if (text.includes('{') && hasDuplicateKey(text)) throw invalid();
  if (/\d[eE]|\d{309}/.test(text) && hasNonFinite(value)) throw invalid();
  return value;
}

/** A whole number as the service prints it (see the file comment); undefined for any other number. */
export function wholeNumberText(n: number): string | undefined {
  if (!Number.isInteger(n) || Math.abs(n) <= Number.MAX_SAFE_INTEGER) return undefined;
  if (Math.abs(n) < LONG_LIMIT) return BigInt(n).toString();
  // Java's Double.toString: shortest digits, one before the point, at least one after it, "E" exponent.
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

function write(value: unknown): string | undefined {
  if (value instanceof ExactInteger) return value.toString();
  if (typeof value === 'number') return wholeNumberText(value) ?? JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => write(v) ?? 'null').join(',')}]`;
  if (value && typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const text = write(v);
      if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * JSON.stringify with the service's whole-number printing. The common case costs one test of the
 * text: only text with a run of 16 or more digits or an exponent can hold such a number.
 */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !/\d{16}|\de\+/.test(text)) return text;
  return write(value) ?? text;
}
