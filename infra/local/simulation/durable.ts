/**
 * A simulation that survives being killed: everything it needs to go on is in its data folder.
 *
 * - The system's side is already durable there: DynamoDB Local keeps the table in its files, and the
 *   local Step Functions runtime checkpoints every transition in SQLite before anything leaves it
 *   (infra/local/sfn/README.md, "Durability and the at-least-once rule").
 * - The virtual clock is not stored: it is re-derived. A new process starts it at the latest of the
 *   simulation's checkpoint and the latest transition the runtime checkpointed, which is where the clock
 *   stood when the runtime last wrote. The runtime then replays what it had not committed, and invokes
 *   again the tasks that were in flight, at the same virtual instants as the first time (handlers act at
 *   the time their state was entered, which the checkpoint holds).
 * - The people's side (the agenda, what they know of each milestone, the statistics) is a checkpoint
 *   file written after every entry of the agenda (write, then rename: a killed process leaves the old
 *   one or the new one). Their random draws need no state: each comes from a generator keyed by the
 *   seed and what it is about (behaviour.ts), so drawing again gives the same numbers.
 * - The entry that was running at the kill is carried out again from the checkpoint before it. Its
 *   command carries the same Idempotency-Key (engine.ts), so a command that was committed is answered
 *   from the stored outcome and its pending workflow signal delivered, instead of applied twice.
 * - Notifications are delivered after every entry by the outbox dispatcher's own code to the local
 *   mailbox (../mailbox.ts), which shows each notification once however often a crash makes the
 *   dispatcher resend it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock } from '../../../shared/clock.js';
import type { MilestoneEvent, MilestoneState } from '../../../shared/program/model.js';
import type { MilestoneStore } from '../../../shared/store/index.js';
import { canonicalJson as canonical } from '../../../shared/store/idempotency.js';
import { createDispatcher } from '../../../functions/notifications/dispatcher.js';
import { Mailbox, type MailboxLine } from '../mailbox.js';
import { storedRuntimeState } from '../sfn/store.js';
import type { SimulationCheckpoint, SimulationDurability } from './engine.js';

export interface SimulationFolder {
  dataDir: string;
  /** The people's side, rewritten after every entry of the agenda. */
  checkpointFile: string;
  /** The local mailbox (JSON lines). */
  mailboxFile: string;
  /** The runtime's SQLite store (the local stack keeps it there). */
  sfnDir: string;
}

export function simulationFolder(dataDir: string): SimulationFolder {
  const dir = path.resolve(dataDir);
  return {
    dataDir: dir,
    checkpointFile: path.join(dir, 'simulation', 'checkpoint.json'),
    mailboxFile: path.join(dir, 'mailbox.jsonl'),
    sfnDir: path.join(dir, 'sfn'),
  };
}

export function fileDurability(folder: SimulationFolder): SimulationDurability {
  mkdirSync(path.dirname(folder.checkpointFile), { recursive: true });
  const tmp = `${folder.checkpointFile}.tmp`;
  return {
    load: () =>
      existsSync(folder.checkpointFile) ? (JSON.parse(readFileSync(folder.checkpointFile, 'utf8')) as SimulationCheckpoint) : null,
    save: (checkpoint) => {
      // Written whole, then renamed over the old one: a process killed at any point leaves one of the two.
      // No fsync: a killed process loses nothing the kernel has (a power loss is not what this is for).
      writeFileSync(tmp, JSON.stringify(checkpoint));
      renameSync(tmp, folder.checkpointFile);
    },
  };
}

/** Where the virtual clock of a (re)started durable run begins: the latest instant the folder has seen. */
export function resumeInstant(folder: SimulationFolder, start: number): number {
  const saved = fileDurability(folder).load();
  return Math.max(start, saved?.now ?? start, storedRuntimeState(folder.sfnDir)?.latestTransition ?? start);
}

export interface ResumeInspection {
  /** One line on what the folder holds (for the log). */
  line: string;
  /** Why resuming from this folder would not continue the run as an uninterrupted one would (empty when it would). */
  problems: string[];
}

/**
 * What a restarted durable run finds in its folder (null for a fresh start): the checkpoint's time and
 * phase, its next entry of the agenda, the runtime's latest transition, the instant the clock resumes
 * at, and the runtime's pending timers. In a folder an uninterrupted run could have left, the clock is
 * at or before the next entry (`advanceTo` cannot go back) and no timer is due before the clock (every
 * timer due before the latest checkpointed transition fired before it; one that did not would fire late).
 */
export function inspectResume(folder: SimulationFolder, start: number): ResumeInspection | null {
  const saved = fileDurability(folder).load();
  if (saved === null) return null;
  const runtime = storedRuntimeState(folder.sfnDir);
  const clock = resumeInstant(folder, start);
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'none' : new Date(ms).toISOString());
  const timers = runtime?.timers ?? [];
  const overdue = timers.filter((due) => due < clock);
  const next = saved.phase === 'running' ? saved.agenda.entries[0]?.at : undefined;
  const problems: string[] = [];
  if (next !== undefined && next < clock)
    problems.push(`the clock resumes at ${iso(clock)}, after the next entry of the agenda (${iso(next)})`);
  if (overdue.length > 0)
    problems.push(
      `${overdue.length} timer(s) of the runtime are due before the clock resumes at ${iso(clock)} (the first at ${iso(overdue[0])})`,
    );
  const line = [
    `Resuming (${saved.phase}): checkpoint at ${iso(saved.now)} after ${saved.stats.actions} entries`,
    `next entry at ${iso(next)}`,
    `runtime's latest transition at ${iso(runtime?.latestTransition)}`,
    `clock at ${iso(clock)}`,
    `${runtime?.running ?? 0} executions running, ${timers.length} timers (next at ${iso(timers[0])}, ${overdue.length} due before the clock)`,
  ].join('; ');
  return { line, problems };
}

/** The outbox dispatcher (its `deliver`, as the stream and the re-drive call it) with the local mailbox as its channel. */
export function mailboxDelivery(
  folder: SimulationFolder,
  store: MilestoneStore,
  clock: Clock,
): { mailbox: Mailbox; deliverPending: () => Promise<void> } {
  const mailbox = new Mailbox(folder.mailboxFile, clock);
  const logger = new Logger({ serviceName: 'simulation-outbox', logLevel: 'SILENT' });
  const dispatcher = createDispatcher({
    store,
    channel: mailbox,
    clock,
    logger,
    metrics: new Metrics({ namespace: 'CosSimulation', serviceName: 'simulation-outbox' }),
  });
  return {
    mailbox,
    deliverPending: async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listPendingNotifications({ limit: 100, cursor });
        ids.push(...page.items.map((entry) => entry.notification.id));
        cursor = page.cursor;
      } while (cursor !== null);
      for (const id of ids.sort()) await dispatcher.deliver(id);
    },
  };
}

// ---------- what two runs must agree on ----------

/** The end of a run, as the kill test compares it. Every time in it is virtual. */
export interface FinalState {
  /** The yearly KPI table with its heading. */
  table: string;
  /** Every milestone of every school, by school and key. */
  milestones: MilestoneState[];
  /** Every audit event of every school, oldest first per school. */
  events: MilestoneEvent[];
  /** What the recipients got: each notification once per destination, by id and destination. */
  inbox: MailboxLine[];
  /** Notifications still in the outbox at the end (expected none). */
  pending: string[];
  /** Not compared: every arrival at the mailbox, and how many of them were copies it did not show. */
  mailbox: { received: number; duplicates: number };
}

export async function collectFinalState(input: {
  table: string;
  store: MilestoneStore;
  schoolIds: readonly string[];
  events: MilestoneEvent[];
  mailbox: Mailbox;
}): Promise<FinalState> {
  const milestones: MilestoneState[] = [];
  for (const id of input.schoolIds) {
    const record = await input.store.getSchool(id);
    if (!record) throw new Error(`school ${id} is not in the store`);
    milestones.push(...record.milestones.map((m) => m.state).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  const pending: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await input.store.listPendingNotifications({ limit: 100, cursor });
    pending.push(...page.items.map((entry) => entry.notification.id));
    cursor = page.cursor;
  } while (cursor !== null);
  const all = input.mailbox.received();
  const inbox = all
    .filter((line) => !line.duplicate)
    .sort((a, b) => (a.id !== b.id ? (a.id < b.id ? -1 : 1) : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
  return {
    table: input.table,
    milestones,
    events: input.events,
    inbox,
    pending: pending.sort(),
    mailbox: { received: all.length, duplicates: all.length - inbox.length },
  };
}

/**
 * The differences between two final states, one line each (`-` only in the first, `+` only in the
 * second), at most `limit` per part; empty when they are identical. Parts are compared as multisets of
 * canonical JSON lines, so an event lost or recorded twice shows as one line.
 */
export function diffFinalStates(a: FinalState, b: FinalState, limit = 20): string[] {
  const out: string[] = [];
  if (a.table !== b.table) out.push('KPI table:', ...a.table.split('\n').map((l) => `- ${l}`), ...b.table.split('\n').map((l) => `+ ${l}`));
  const parts: [string, unknown[], unknown[]][] = [
    ['milestones', a.milestones, b.milestones],
    ['audit events', a.events, b.events],
    ['notifications received', a.inbox, b.inbox],
    ['notifications left in the outbox', a.pending, b.pending],
  ];
  for (const [name, left, right] of parts) {
    const lines = multisetDiff(left.map(canonical), right.map(canonical));
    if (lines.length === 0) continue;
    out.push(`${name} (${left.length} vs ${right.length}; ${lines.length} line(s) differ):`, ...lines.slice(0, limit));
    if (lines.length > limit) out.push(`  … ${lines.length - limit} more`);
  }
  return out;
}

function multisetDiff(left: string[], right: string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of left) counts.set(l, (counts.get(l) ?? 0) + 1);
  for (const r of right) counts.set(r, (counts.get(r) ?? 0) - 1);
  const out: string[] = [];
  for (const [line, n] of [...counts].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    for (let i = 0; i < Math.abs(n); i++) out.push(`${n > 0 ? '-' : '+'} ${line}`);
  }
  return out;
}
