/**
 * The simulation's agenda: what the people of the behaviour model will do, and when, on the same
 * virtual timeline as the workflows' timers. A binary heap ordered by time, then by the order the
 * entries were added, so that two actions at the same instant always run in the same order.
 */

import { MinHeap } from '../min-heap.js';

export interface AgendaEntry<T> {
  at: number;
  seq: number;
  item: T;
}

export class Agenda<T> {
  readonly #heap = new MinHeap<AgendaEntry<T>>((a, b) => (a.at !== b.at ? a.at < b.at : a.seq < b.seq));
  #seq = 0;

  get size(): number {
    return this.#heap.size;
  }

  add(at: number, item: T): void {
    if (!Number.isFinite(at)) throw new RangeError(`agenda: not a time: ${at}`);
    this.#heap.push({ at, seq: this.#seq++, item });
  }

  /** What is left on the agenda and the next entry's sequence number, to be restored by `restore`. */
  snapshot(): { entries: AgendaEntry<T>[]; seq: number } {
    return { entries: this.#heap.items().sort((a, b) => a.at - b.at || a.seq - b.seq), seq: this.#seq };
  }

  /** An agenda as `snapshot` left it: the same entries, popped in the same order, numbered on from `seq`. */
  static restore<T>(snapshot: { entries: readonly AgendaEntry<T>[]; seq: number }): Agenda<T> {
    const agenda = new Agenda<T>();
    for (const entry of snapshot.entries) agenda.#heap.push({ ...entry });
    agenda.#seq = snapshot.seq;
    return agenda;
  }

  peek(): AgendaEntry<T> | undefined {
    return this.#heap.peek();
  }

  pop(): AgendaEntry<T> | undefined {
    return this.#heap.pop();
  }
}
