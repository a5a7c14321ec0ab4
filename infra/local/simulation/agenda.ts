/**
 * The simulation's agenda: what the people of the behaviour model will do, and when, on the same
 * virtual timeline as the workflows' timers. A binary heap ordered by time, then by the order the
 * entries were added, so that two actions at the same instant always run in the same order.
 */

export interface AgendaEntry<T> {
  at: number;
  seq: number;
  item: T;
}

export class Agenda<T> {
  readonly #heap: AgendaEntry<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  add(at: number, item: T): void {
    if (!Number.isFinite(at)) throw new RangeError(`agenda: not a time: ${at}`);
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, item });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  peek(): AgendaEntry<T> | undefined {
    return this.#heap[0];
  }

  pop(): AgendaEntry<T> | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before<T>(a: AgendaEntry<T>, b: AgendaEntry<T>): boolean {
  return a.at !== b.at ? a.at < b.at : a.seq < b.seq;
}
