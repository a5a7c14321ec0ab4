/**
 * A small seeded pseudo-random generator for demo data and simulations: mulberry32 over a 32-bit state,
 * seeded from a number or a string (FNV-1a). No global state, no `Math.random`: the same seed gives the
 * same sequence on every machine and Node.js version, because it uses only 32-bit integer arithmetic.
 * Not for anything security-related.
 */

/** FNV-1a, 32 bits, over the UTF-16 code units of a string. Stable and fast; used for seeds and for
 * deterministic choices keyed by an id. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type Seed = number | string;

function seedToState(seed: Seed): number {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Fold the integer part (any size) into 32 bits; fractional seeds are hashed as text.
    return Number.isInteger(seed) ? hash32(`n:${seed}`) : hash32(`f:${seed}`);
  }
  return hash32(`s:${seed}`);
}

export class Rng {
  #state: number;

  constructor(seed: Seed) {
    this.#state = seedToState(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`int(${min}, ${max}): expected integers with min <= max`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A shuffled copy (Fisher–Yates); the input is left as it is. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
