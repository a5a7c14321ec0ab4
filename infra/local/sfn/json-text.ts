/**
 * JSON text as the service reads and writes it.
 *
 * - `parseStrictJson` ($parse): what `JSON.parse` accepts, minus a key repeated in one object and a
 *   number too large for a double; each refusal is JSONata's D3137 "Invalid JSON", as the service
 *   answers (blank text and a second document after the first are refused by `JSON.parse` already).
 * - `stringifyJson` (state and execution output, history payloads): `JSON.stringify`, except for whole
 *   numbers, which the service prints as a Java long while they fit one (all digits:
 *   2^60 is 1152921504606846976, not JavaScript's 1152921504606847000) and as a Java double past it
 *   (9.223372036854776E18, 1.0E21). Other numbers are printed as JavaScript prints them.
 */
import { JsonataError } from './errors.js';

const LONG_LIMIT = 2 ** 63;

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

export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw invalid();
  }
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
