/**
 * Checkpoint stores. The runtime writes one batch per state transition (the execution header, the
 * frames that changed, the new history events) and calls `flush` before anything leaves the runtime
 * (a task invocation, an API reply, a pause of its loop): everything written before a flush is durable
 * after it.
 *
 * - `SqliteStore`: a `node:sqlite` database file under the data directory (WAL journal,
 *   `synchronous=FULL`: every commit is on the disk before `flush` returns, so a committed transition
 *   survives a power loss, not only the process being killed). Group commit: `write` only notes which
 *   records changed (the runtime's own objects, by reference) and `flush` serializes each changed
 *   record once, whatever the number of transitions since the last flush, in one transaction with one
 *   sync. The history events an execution added since the last flush go into one row of
 *   `history_chunks` (keyed by the first event's id, with the latest event's time): their JSON array,
 *   deflated, so a flush writes one small history row per execution instead of one row per event
 *   (serializing and writing every event on its own took most of a durable transition's time). The
 *   one-row-per-event `history` table of older files is still read, before the chunks. The runtime flushes only where every execution is between two transitions (after a
 *   checkpoint, between jobs), so what a flush writes is always a checkpointed state; a crash loses
 *   only transitions that had no effect outside, which resuming replays the same way.
 *   `commitEveryWrite` commits each transition on its own instead, and `synchronous: 'NORMAL'` syncs
 *   only at WAL checkpoints (safe against a killed process, not a power loss); both are slower or
 *   weaker and kept to measure the difference.
 * - `MemoryStore`: same interface, nothing leaves the process (tests and simulations). It keeps the
 *   runtime's own objects by reference, so it cannot be reopened by another runtime.
 */
import type * as Sqlite from 'node:sqlite';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ExecutionHeader, FrameRecord, HistoryEvent, StateMachineRecord } from './model.js';
import { parseJsonText } from './json-text.js';

export interface WriteBatch {
  header: ExecutionHeader;
  frames: readonly FrameRecord[];
  deletedFrames: readonly number[];
  events: readonly HistoryEvent[];
}

export interface CheckpointStore {
  readonly durable: boolean;
  putDefinition(id: string, text: string): void;
  getDefinition(id: string): string | undefined;
  putStateMachine(record: StateMachineRecord): void;
  loadStateMachines(): StateMachineRecord[];
  /** Writes one transition of one execution. */
  write(batch: WriteBatch): void;
  /** Makes every write so far durable. */
  flush(): void;
  loadExecutions(): ExecutionHeader[];
  loadFrames(executionArn: string): FrameRecord[];
  history(executionArn: string): HistoryEvent[];
  close(): void;
}

export class MemoryStore implements CheckpointStore {
  readonly durable = false;
  readonly #definitions = new Map<string, string>();
  readonly #machines = new Map<string, StateMachineRecord>();
  readonly #executions = new Map<string, ExecutionHeader>();
  readonly #frames = new Map<string, Map<number, FrameRecord>>();
  readonly #history = new Map<string, HistoryEvent[]>();

  putDefinition(id: string, text: string): void {
    this.#definitions.set(id, text);
  }
  getDefinition(id: string): string | undefined {
    return this.#definitions.get(id);
  }
  putStateMachine(record: StateMachineRecord): void {
    this.#machines.set(record.arn, record);
  }
  loadStateMachines(): StateMachineRecord[] {
    return [...this.#machines.values()];
  }
  write(batch: WriteBatch): void {
    const arn = batch.header.arn;
    this.#executions.set(arn, batch.header);
    if (batch.frames.length > 0 || batch.deletedFrames.length > 0) {
      let frames = this.#frames.get(arn);
      if (!frames) this.#frames.set(arn, (frames = new Map()));
      for (const f of batch.frames) frames.set(f.id, f);
      for (const id of batch.deletedFrames) frames.delete(id);
      if (frames.size === 0) this.#frames.delete(arn);
    }
    if (batch.events.length > 0) {
      let events = this.#history.get(arn);
      if (!events) this.#history.set(arn, (events = []));
      for (const e of batch.events) events.push(e);
    }
  }
  flush(): void {}
  loadExecutions(): ExecutionHeader[] {
    return [...this.#executions.values()];
  }
  loadFrames(executionArn: string): FrameRecord[] {
    return [...(this.#frames.get(executionArn)?.values() ?? [])];
  }
  history(executionArn: string): HistoryEvent[] {
    return this.#history.get(executionArn) ?? [];
  }
  close(): void {}
}

/** What the SQLite store of a data folder holds, read without resuming anything (see `storedRuntimeState`). */
export interface StoredRuntimeState {
  /** The time of the latest transition checkpointed (epoch ms), or null when there is none. */
  latestTransition: number | null;
  /** RUNNING executions. */
  running: number;
  /** The due times of the RUNNING executions' timers (Wait states, task timeouts, retries, execution timeouts), ascending. */
  timers: number[];
}

/**
 * The checkpointed state of the runtime in `dataDir`, read straight from its SQLite file (null when
 * there is none). With a virtual clock, the latest transition is where the clock stood when the runtime
 * last wrote: a process that resumes the runtime sets its clock there first, so that the transitions it
 * replays (and the tasks in flight it invokes again) happen at the instant they would have; a timer due
 * before that instant would fire late.
 */
export function storedRuntimeState(dataDir: string, fileName = 'stepfunctions.sqlite'): StoredRuntimeState | null {
  const file = path.join(dataDir, fileName);
  if (!existsSync(file)) return null;
  const sqlite = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
  const db = new sqlite.DatabaseSync(file);
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name),
    );
    if (!tables.has('history') || !tables.has('executions') || !tables.has('frames')) return null;
    const latest = tables.has('history_chunks') ? 'SELECT max(latest) FROM history_chunks' : 'SELECT NULL';
    // An older file has one row per event, a newer one chunks (a two-argument max would be null when either is).
    const row = db.prepare(`SELECT (SELECT max(json_extract(doc, '$.timestamp')) FROM history) AS a, (${latest}) AS b`).get() as
      { a: number | null; b: number | null } | undefined;
    const latestTransition = Math.max(row?.a ?? -Infinity, row?.b ?? -Infinity);
    const running = db.prepare("SELECT count(*) AS n FROM executions WHERE status = 'RUNNING'").get() as { n: number };
    const timers = db
      .prepare(
        `SELECT json_extract(f.doc, '$.timer.due') AS due FROM frames f JOIN executions e ON e.arn = f.exec
           WHERE e.status = 'RUNNING' AND json_extract(f.doc, '$.timer.due') IS NOT NULL
         UNION ALL
         SELECT json_extract(doc, '$.timeoutAt') FROM executions WHERE status = 'RUNNING' AND json_extract(doc, '$.timeoutAt') IS NOT NULL
         ORDER BY due`,
      )
      .all() as { due: number }[];
    return {
      latestTransition: Number.isFinite(latestTransition) ? latestTransition : null,
      running: running.n,
      timers: timers.map((t) => t.due),
    };
  } finally {
    db.close();
  }
}

export class SqliteStore implements CheckpointStore {
  readonly durable = true;
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #stmt: Record<string, StatementSync>;
  readonly #commitEveryWrite: boolean;
  #inTransaction = false;
  // What changed since the last flush, by reference: serialized once, at the flush.
  readonly #headers = new Map<string, ExecutionHeader>();
  readonly #frames = new Map<string, Map<number, FrameRecord | null>>();
  readonly #events = new Map<string, HistoryEvent[]>();

  constructor(dataDir: string, options: { fileName?: string; commitEveryWrite?: boolean; synchronous?: 'FULL' | 'NORMAL' } = {}) {
    const fileName = options.fileName ?? 'stepfunctions.sqlite';
    this.#commitEveryWrite = options.commitEveryWrite ?? false;
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, fileName);
    // Loaded on first use: node:sqlite prints an experimental-feature warning when it is imported.
    const sqlite = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
    this.#db = new sqlite.DatabaseSync(this.file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'};
      CREATE TABLE IF NOT EXISTS definitions (id TEXT PRIMARY KEY, text TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS state_machines (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS executions (arn TEXT PRIMARY KEY, status TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS frames (exec TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (exec, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS history (exec TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (exec, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS history_chunks (exec TEXT NOT NULL, id INTEGER NOT NULL, latest INTEGER NOT NULL, events BLOB NOT NULL, PRIMARY KEY (exec, id)) WITHOUT ROWID;
    `);
    const p = (sql: string) => this.#db.prepare(sql);
    this.#stmt = {
      putDefinition: p('INSERT OR IGNORE INTO definitions (id, text) VALUES (?, ?)'),
      getDefinition: p('SELECT text FROM definitions WHERE id = ?'),
      putMachine: p('INSERT OR REPLACE INTO state_machines (arn, doc) VALUES (?, ?)'),
      loadMachines: p('SELECT doc FROM state_machines'),
      putExecution: p('INSERT OR REPLACE INTO executions (arn, status, doc) VALUES (?, ?, ?)'),
      putFrame: p('INSERT OR REPLACE INTO frames (exec, id, doc) VALUES (?, ?, ?)'),
      deleteFrame: p('DELETE FROM frames WHERE exec = ? AND id = ?'),
      putEvents: p('INSERT OR REPLACE INTO history_chunks (exec, id, latest, events) VALUES (?, ?, ?, ?)'),
      loadExecutions: p('SELECT doc FROM executions'),
      loadFrames: p('SELECT doc FROM frames WHERE exec = ? ORDER BY id'),
      history: p('SELECT doc FROM history WHERE exec = ? ORDER BY id'),
      historyChunks: p('SELECT events FROM history_chunks WHERE exec = ? ORDER BY id'),
      begin: p('BEGIN'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
    };
  }

  #begin(): void {
    if (!this.#inTransaction) {
      this.#stmt.begin!.run();
      this.#inTransaction = true;
    }
  }
  flush(): void {
    if (this.#headers.size > 0) this.#writeChanges();
    if (this.#inTransaction) {
      this.#inTransaction = false;
      this.#stmt.commit!.run();
    }
  }
  #writeChanges(): void {
    const s = this.#stmt;
    this.#begin();
    try {
      for (const [arn, header] of this.#headers) s.putExecution!.run(arn, header.status, JSON.stringify(header));
      for (const [arn, frames] of this.#frames) {
        for (const [id, frame] of frames) {
          if (frame) s.putFrame!.run(arn, id, JSON.stringify(frame));
          else s.deleteFrame!.run(arn, id);
        }
      }
      for (const [arn, events] of this.#events)
        s.putEvents!.run(arn, events[0]!.id, events[events.length - 1]!.timestamp, deflateRawSync(JSON.stringify(events), { level: 1 }));
    } catch (err) {
      this.#inTransaction = false;
      s.rollback!.run();
      throw err;
    } finally {
      this.#headers.clear();
      this.#frames.clear();
      this.#events.clear();
    }
  }
  putDefinition(id: string, text: string): void {
    this.#begin();
    this.#stmt.putDefinition!.run(id, text);
  }
  getDefinition(id: string): string | undefined {
    const row = this.#stmt.getDefinition!.get(id) as { text: string } | undefined;
    return row?.text;
  }
  putStateMachine(record: StateMachineRecord): void {
    this.#begin();
    this.#stmt.putMachine!.run(record.arn, JSON.stringify(record));
  }
  loadStateMachines(): StateMachineRecord[] {
    return (this.#stmt.loadMachines!.all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as StateMachineRecord);
  }
  write(batch: WriteBatch): void {
    const arn = batch.header.arn;
    this.#headers.set(arn, batch.header);
    if (batch.frames.length > 0 || batch.deletedFrames.length > 0) {
      let frames = this.#frames.get(arn);
      if (!frames) this.#frames.set(arn, (frames = new Map()));
      for (const f of batch.frames) frames.set(f.id, f);
      for (const id of batch.deletedFrames) frames.set(id, null);
    }
    if (batch.events.length > 0) {
      const events = this.#events.get(arn);
      if (events) for (const e of batch.events) events.push(e);
      else this.#events.set(arn, [...batch.events]);
    }
    if (this.#commitEveryWrite) this.flush();
  }
  loadExecutions(): ExecutionHeader[] {
    return (this.#stmt.loadExecutions!.all() as { doc: string }[]).map((r) => parseJsonText(r.doc) as ExecutionHeader);
  }
  loadFrames(executionArn: string): FrameRecord[] {
    return (this.#stmt.loadFrames!.all(executionArn) as { doc: string }[]).map((r) => parseJsonText(r.doc) as FrameRecord);
  }
  history(executionArn: string): HistoryEvent[] {
    const events = (this.#stmt.history!.all(executionArn) as { doc: string }[]).map((r) => parseJsonText(r.doc) as HistoryEvent);
    for (const r of this.#stmt.historyChunks!.all(executionArn) as { events: Uint8Array }[])
      for (const e of parseJsonText(inflateRawSync(r.events).toString('utf8')) as HistoryEvent[]) events.push(e);
    return events;
  }
  close(): void {
    if (!this.#db.isOpen) return;
    this.flush();
    this.#db.close();
  }
}
