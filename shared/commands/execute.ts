/**
 * The command service: running a command on one milestone of one school is authorise → load → decide →
 * commit (state, audit events, notifications, the idempotency record and the workflow signal the change
 * owes, in one transaction) → deliver the signal (at once, or after the answer by the dispatcher the
 * table's stream feeds). The HTTP API, the bulk jobs, the simulation and the tests all go through
 * `createCommandService`; the workflow's own `start` uses `executeCommand` without
 * a signal (the workflow is the one acting). Nothing here knows about HTTP or AWS except through the
 * store and the signal port.
 *
 * Authorisation comes first: a caller who may not act on the milestone is refused before anything tells
 * whether the school exists or at which version the milestone is.
 *
 * Outcomes are values, not exceptions: a refused command is a `rejected` outcome with the domain's code.
 * Under an idempotency key only an accepted command is recorded (and replayed); a refused one writes
 * nothing, so the key stays free for a corrected retry. A version conflict, a busy idempotency key or a
 * store failure throw.
 */
import { hashRequest, type IdempotencyLease } from '../store/idempotency.js';
import type { CommitInput, MilestoneStore, SchoolRecord } from '../store/store.js';
import type { PendingSignal, WaitingTask } from '../store/marshall.js';
import type { Clock } from '../clock.js';
import { authorizeFirst, decide, initialState, REJECTION_HTTP_STATUS, type RejectionCode, type RejectionIssue } from '../domain/index.js';
import type {
  Actor,
  Command,
  Contractor,
  MilestoneEvent,
  MilestoneKey,
  MilestoneState,
  ProgramDefinition,
  School,
} from '../program/model.js';
import { programVersionOf } from '../program/model.js';
import { createHash } from 'node:crypto';
import { refOf } from '../documents/model.js';
import type { ProgramResolver } from '../programs/resolver.js';

export interface CommandDeps {
  store: MilestoneStore;
  /** The program of a school that follows version 1, and of every school when there is no `programs`. */
  program: ProgramDefinition;
  /** The program each school follows (its version); every deployed path passes it. */
  programs?: ProgramResolver;
  clock: Clock;
}

export interface CommandRequest {
  schoolId: string;
  milestone: MilestoneKey;
  command: Command;
  actor: Actor;
  /** Replays of the same key (same actor, same request) answer with the first outcome and change nothing. */
  idempotencyKey?: string;
  /**
   * The caller is retrying, after a crash of the whole system, the request it was running when it died:
   * an in-progress marker of the same key and request is taken over at once (its holder is gone) instead
   * of waiting for its lease to run out. Only for that retry, never for a request another caller may run.
   */
  resumingAfterCrash?: boolean;
  /** The milestone version the caller saw (If-Match); a different current version is a conflict. */
  expectedVersion?: number;
  /**
   * The school as the caller read it at the instant it acts (the school program's Plan step, which starts
   * several milestones in one step): the first decision is taken against it instead of reading the school
   * again; a version conflict reads it.
   */
  school?: SchoolRecord;
  /** The contractors, when the caller has read them (a start or a reassignment needs them). */
  contractors?: readonly Contractor[];
  /**
   * Whether the change owes the school's workflow a signal (default true). False only for the workflow's
   * own steps (the program starting a milestone starts its lifecycle itself).
   */
  signal?: boolean;
}

/** Why a command was refused: the domain's codes plus the ones the orchestration adds. */
export type OutcomeCode = RejectionCode | 'school-not-found' | 'version-conflict';

export interface Accepted {
  ok: true;
  schoolId: string;
  milestone: MilestoneKey;
  /** The milestone after the command. */
  state: MilestoneState;
  /** The events committed (on a replay: the events of the first run). */
  events: MilestoneEvent[];
  /** True when an idempotency key answered with a stored outcome. */
  replayed: boolean;
}

export interface Rejected {
  ok: false;
  schoolId: string;
  milestone: MilestoneKey;
  code: OutcomeCode;
  /** The HTTP status the code maps to. */
  status: number;
  message: string;
  issues: RejectionIssue[];
  /** For version conflicts: the current version (null when the milestone has no stored item). */
  currentVersion?: number | null;
  replayed: boolean;
}

export type CommandOutcome = Accepted | Rejected;

/** What the caller knows of the workflow after an accepted command (read before the commit). */
export interface CommandContext {
  school: School | null;
  /** The school the last decision was taken against (given by the caller or read), as it was before the commit. */
  record: SchoolRecord | null;
  /**
   * The workflow step that was waiting on the milestone when the command was decided, if any (the
   * workflow signal reads the step waiting after the commit; this one only tells where it ran).
   */
  task: WaitingTask | null;
  /** Every waiting step of the school (to find its live execution). */
  tasks: WaitingTask[];
  /** The workflow signal this call committed with the change (with the waiting step, if there was one), if it owed one. */
  signal: PendingSignal | null;
}

export const OUTCOME_STATUS: Readonly<Record<OutcomeCode, number>> = {
  ...REJECTION_HTTP_STATUS,
  'school-not-found': 404,
  'version-conflict': 409,
};

/** The idempotency scope of an actor: keys of different users never collide. */
export function idempotencyScope(actor: Actor): string {
  return `cmd.${createHash('sha256').update(`${actor.role}:${actor.sub}`).digest('base64url').slice(0, 32)}`;
}

type StoredOutcome = Omit<Accepted, 'replayed'> | Omit<Rejected, 'replayed'>;

export async function executeCommand(
  deps: CommandDeps,
  request: CommandRequest,
): Promise<{ outcome: CommandOutcome; context: CommandContext }> {
  const context: CommandContext = { school: null, record: null, task: null, tasks: [], signal: null };
  const decideOnce = async (
    attempt: number,
    lease?: IdempotencyLease,
  ): Promise<StoredOutcome | { accepted: Omit<Accepted, 'replayed'>; commit: CommitInput }> => {
    const { store, clock } = deps;
    const { schoolId, milestone, command, actor } = request;
    // Refused by role alone (a viewer; a contractor doing anything but submit; a manager submitting or
    // signing off; school staff doing anything but submit and sign off): nothing is read.
    const byRole = authorizeFirst(actor, command.type, null, null, null);
    if (byRole && !scopedOnly(actor, command.type)) return reject(schoolId, milestone, 'forbidden', byRole.message);
    const given = attempt === 1 && request.school?.school.id === schoolId ? request.school : null;
    const record = given ?? (await store.getSchool(schoolId));
    const program = record && deps.programs ? await deps.programs.forSchool(record.school) : deps.program;
    const stored = record?.milestones.find((m) => m.state.key === milestone);
    const known = record && program.milestones.some((m) => m.key === milestone);
    const scoped = record ? (stored?.state ?? (known ? initialState(program, record.school, milestone, clock.now()) : null)) : null;
    const denied = authorizeFirst(
      actor,
      command.type,
      record?.school ?? null,
      scoped,
      program.milestones.find((m) => m.key === milestone) ?? null,
    );
    if (denied) return reject(schoolId, milestone, 'forbidden', denied.message);
    if (!record) {
      return reject(schoolId, milestone, 'school-not-found', `school ${schoolId} does not exist`);
    }
    context.school = record.school;
    context.record = record;
    context.tasks = record.milestones.flatMap((m) => (m.task ? [m.task] : []));
    context.task = stored?.task ?? null;
    const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
    const currentVersion = stored?.state.version ?? 0;
    if (request.expectedVersion !== undefined && request.expectedVersion !== currentVersion) {
      return {
        ...reject(
          schoolId,
          milestone,
          'version-conflict',
          `milestone ${milestone} of school ${schoolId} is at version ${currentVersion}, not ${request.expectedVersion}`,
        ),
        currentVersion,
      };
    }
    const needsContractors = command.type === 'start' || command.type === 'reassign';
    const contractors = needsContractors ? (request.contractors ?? (await store.listContractors())) : [];
    // A submission carries every document attached to the milestone (checked against the evidence rules):
    // the milestone item read above lists them, unless it is from before items listed them.
    const documents = command.type === 'submit' ? (stored?.documents ?? (await store.listDocuments(schoolId, milestone)).map(refOf)) : [];
    const now = clock.now();
    const decision = decide({ program, school: record.school, milestone, states, contractors, documents }, command, actor, now);
    if (!decision.ok) {
      const { code, message, issues } = decision.rejection;
      return { ...reject(schoolId, milestone, code, message), issues };
    }
    const accepted: Omit<Accepted, 'replayed'> = { ok: true, schoolId, milestone, state: decision.state, events: decision.events };
    const last = decision.events.at(-1);
    const commit: CommitInput = {
      schoolId,
      key: milestone,
      expectedVersion: currentVersion,
      state: decision.state,
      events: decision.events,
      notifications: decision.notifications,
      ...(lease ? { idempotency: { lease, response: accepted } } : {}),
      ...(request.signal !== false && last
        ? {
            signal: {
              schoolId,
              milestone,
              version: decision.state.version,
              event: last.type,
              status: decision.state.status,
              at: now.toISOString(),
              // The step waiting now: the commit takes its token off the milestone, and whoever delivers
              // the signal signals it without reading the milestone again.
              ...(stored?.task ? { task: stored.task } : {}),
              // What the workflow's next step would read: it starts from it instead.
              committed: { state: decision.state, programVersion: programVersionOf(record.school) },
            },
          }
        : {}),
    };
    return { accepted, commit };
  };
  /** Decides and commits; a concurrent change is re-decided against the new state unless the caller pinned a version. */
  const run = async (lease?: IdempotencyLease): Promise<StoredOutcome> => {
    for (let attempt = 1; ; attempt++) {
      const step = await decideOnce(attempt, lease);
      if (!('accepted' in step)) return step;
      try {
        const committed = await deps.store.commit(step.commit);
        context.signal = committed.signal;
        return step.accepted;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'version-conflict' || request.expectedVersion !== undefined || attempt >= 3) throw error;
      }
    }
  };

  if (request.idempotencyKey === undefined) {
    const outcome = await run();
    return { outcome: { ...outcome, replayed: false } as CommandOutcome, context };
  }
  const requestHash = hashRequest({
    schoolId: request.schoolId,
    milestone: request.milestone,
    command: request.command,
    expectedVersion: request.expectedVersion ?? null,
  });
  let result: StoredOutcome;
  let replayed: boolean;
  try {
    ({ result, replayed } = await deps.store.withIdempotency(
      idempotencyScope(request.actor),
      request.idempotencyKey,
      requestHash,
      async (lease) => {
        const outcome = await run(lease);
        // A refused command writes nothing, not even its idempotency record: throwing releases the key.
        if (!outcome.ok) throw new RefusedUnderKey(outcome);
        return outcome;
      },
      request.resumingAfterCrash ? { takeOver: true } : {},
    ));
  } catch (error) {
    if (error instanceof RefusedUnderKey) return { outcome: { ...error.outcome, replayed: false }, context };
    throw error;
  }
  if (replayed) {
    // The first run's context was not read in this call: read what the signal needs now.
    const record = await deps.store.getSchool(request.schoolId);
    if (record) {
      context.school = record.school;
      context.tasks = record.milestones.flatMap((m) => (m.task ? [m.task] : []));
      context.task = record.milestones.find((m) => m.state.key === request.milestone)?.task ?? null;
    }
  }
  return { outcome: { ...result, replayed } as CommandOutcome, context };
}

class RefusedUnderKey extends Error {
  constructor(readonly outcome: Omit<Rejected, 'replayed'>) {
    super(outcome.message);
  }
}

/** Whether a refusal without the school and the milestone may turn into a permission once they are read. */
function scopedOnly(actor: Actor, command: Command['type']): boolean {
  switch (actor.role) {
    case 'district-coordinator':
      return true;
    case 'contractor':
      return command === 'submit';
    case 'school-staff':
      return command === 'submit' || command === 'signoff';
    default:
      return false;
  }
}

function reject(schoolId: string, milestone: MilestoneKey, code: OutcomeCode, message: string): Omit<Rejected, 'replayed'> {
  return { ok: false, schoolId, milestone, code, status: OUTCOME_STATUS[code], message, issues: [] };
}

// ---------- the command service ----------

/** Where the workflow signal of a committed command goes (functions/common/workflow-signal.ts in the functions). */
export interface SignalPort {
  /**
   * Delivers a pending signal and removes it from the outbox; never throws (`failed` leaves it pending).
   * The step the signal names (`task`: the one waiting when the command read the milestone) is signalled
   * without reading the milestone again. `asCommitted`: the signal as the commit returned it, not as the
   * outbox holds it (see `MilestoneStore.commit`).
   */
  deliver(signal: PendingSignal, options?: { asCommitted?: boolean }): Promise<{ kind: string }>;
}

export interface CommandServiceDeps extends CommandDeps {
  /**
   * Where signals are delivered before the command answers (bulk jobs, migrations, the simulation: they
   * want the workflow signalled in their own time). Null: the answer goes out after the read and the
   * commit, and the signal, committed with the change, is delivered after it by the dispatcher the
   * table's stream feeds (the API; in AWS and on the local stack alike), or else by the daily sweep.
   */
  signals: SignalPort | null;
}

export interface ServiceResult {
  outcome: CommandOutcome;
  /** What delivering the workflow signal did, for an accepted command that owed one. */
  signal: { kind: string } | null;
}

export interface CommandService {
  execute(request: CommandRequest): Promise<ServiceResult>;
}

/**
 * One command, start to end: authorise, load, decide, commit together with the signal the workflow is
 * owed, then (with a signal port) deliver the signal at once. A delivery that fails leaves the signal in the outbox, where the
 * dispatcher and the sweep find it; a replay under the same idempotency key delivers a signal the first
 * run left undelivered (for example because it crashed right after its commit).
 */
export function createCommandService(deps: CommandServiceDeps): CommandService {
  return {
    async execute(request) {
      const { outcome, context } = await executeCommand(deps, request);
      if (!outcome.ok || request.signal === false || !deps.signals) return { outcome, signal: null };
      // The signal committed with the change, which names the step waiting when the command read the
      // school: that step is signalled at once (the delivery reads the milestone again only when no step
      // was waiting then, or that one is gone). A replay did not commit: it delivers what the first run
      // left in the outbox, if anything.
      const signal = outcome.replayed ? await deps.store.getSignal(request.schoolId, request.milestone) : context.signal;
      if (!signal) return { outcome, signal: null };
      return { outcome, signal: await deps.signals.deliver(signal, { asCommitted: !outcome.replayed }) };
    },
  };
}
