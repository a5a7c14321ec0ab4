/**
 * The program simulation: the real workflows on the local runtime with a virtual clock, and the people
 * of the behaviour model acting through the same command path as the API (load → decide → commit, then
 * the workflow signal).
 *
 * One timeline. The people's actions are entries of an agenda in virtual time; the workflows' timers
 * (planned starts, reminder timeouts, continue-as-new) are the runtime's. The loop takes the next
 * action, advances the runtime to its time (which fires every timer due before it, in order), carries
 * the action out, lets the workflows react until they block again, and looks at what changed.
 *
 * What the people know is what they could see in the application: the stored milestone states. A
 * milestone the workflow has started is noticed when its school is read: after the import, right after
 * a command that closes the last dependency of another milestone, and on the morning of a planned start (then again after 1, 2, 4, 7, 7 … days while it is
 * ready by the program's rules and still not started). When it is noticed, the behaviour model draws
 * what will happen to it (submission, review, hold, reassignment, waiver) and the agenda gets those
 * actions. Everything is keyed by ids and the seed, so the same seed gives the same run.
 */
import { addDays, endOfLocalDay, localDate, zonedInstant } from '../../../shared/calendar.js';
import type { Clock } from '../../../shared/clock.js';
import { createCommandService, type CommandService } from '../../../shared/commands/execute.js';
import { attachGeneratedDocuments } from '../../../shared/documents/generated.js';
import type { DocumentBucket } from '../../../shared/documents/storage.js';
import { AttachRefusedError } from '../../../shared/store/documents.js';
import { eligibleAssignees, initialState, requiredBandwidthMbps } from '../../../shared/domain/index.js';
import type {
  Actor,
  Command,
  CommandType,
  IsoDate,
  MilestoneDefinition,
  MilestoneEvent,
  MilestoneState,
  MilestoneStatus,
  ProgramDefinition,
  School,
} from '../../../shared/program/model.js';
import { generateRegion, type Region, type Seed } from '../../../shared/region/index.js';
import { wholeHistory, type MilestoneStore, type SchoolRecord } from '../../../shared/store/index.js';
import { mapLimit } from '../../../shared/map-limit.js';
import type { SignalResult, WorkflowSignal } from '../../../functions/common/workflow-signal.js';
import { IMPORT_SCHOOLS_PER_SECOND } from '../../../functions/common/start-pacing.js';
import { createHash } from 'node:crypto';
import { Agenda, type AgendaEntry } from './agenda.js';
import { BehaviourModel, DAY_MS, type ActivationPlan, type BehaviourRates, type ReviewOutcome } from './behaviour.js';

/** The parts of the local system the simulation drives. */
export interface SimulatedSystem {
  runtime: {
    /** Fires every timer due up to `target` in time order, then sets the clock to `target`. */
    advanceTo(target: number): Promise<void>;
    /** Resolves when the executions are blocked again (nothing queued, nothing due now). */
    idle(): Promise<void>;
    stats(): { executions: number; running: number; transitions: number; pendingTimers: number };
  };
  store: MilestoneStore;
  signal: WorkflowSignal;
  clock: Clock;
  /** Where the generated documents of the submissions go; without it, only their records are written. */
  documents?: DocumentBucket | null;
  /**
   * Delivers the notifications still pending in the outbox (a durable simulation calls it after every
   * entry of the agenda, so that what was "sent" is part of what a killed and resumed run must match).
   */
  deliverNotifications?: () => Promise<void>;
}

/**
 * Where a durable simulation keeps its own state between two entries of the agenda, so that a process
 * killed at any point can be replaced by a new one that goes on from the last entry carried out.
 */
export interface SimulationDurability {
  /** The checkpoint the last process left, or null for a fresh start. */
  load(): SimulationCheckpoint | null;
  /** Keeps a checkpoint; it must survive the process being killed right after this returns. */
  save(checkpoint: SimulationCheckpoint): void;
}

/** The people's side of a simulation between two entries of its agenda (the system's side is in its store). */
export interface SimulationCheckpoint {
  /** `imported`: the region is in the table, its workflows are not all started; `running`; `finished`. */
  phase: 'imported' | 'running' | 'finished';
  /** The virtual time of the last entry carried out. */
  now: number;
  agenda: { entries: AgendaEntry<Action>[]; seq: number };
  schools: SavedSchool[];
  stats: SimulationStats;
}

type SavedTracked = Omit<Tracked, 'def'> & { key: string };
interface SavedSchool {
  id: string;
  observeAt: number | null;
  misses: number;
  milestones: SavedTracked[];
}

export interface SimulationOptions {
  schools: number;
  seed: Seed;
  /** First and last day of the period, in the program's time zone. */
  from: IsoDate;
  to: IsoDate;
  program: ProgramDefinition;
  /** The version of the program `program` is (the schools record it; default 1). */
  programVersion?: number;
  rates?: Partial<BehaviourRates>;
  /** Called after every action and at the end. */
  onProgress?: (progress: SimulationProgress) => void;
  /**
   * Makes the run resumable: its state is saved after every entry of the agenda and, when a checkpoint
   * is there, taken up from it; every command carries an Idempotency-Key derived from the seed, the
   * milestone, the action and its virtual time, so the entry that was running when the last process died
   * is carried out again without applying any command twice.
   */
  durability?: SimulationDurability;
  /**
   * Read the whole audit log back at the end, for the KPIs and the report (default true). The demo history
   * keeps the data, not a report: without it, its run ends with no such read (the result has no events).
   */
  auditLog?: boolean;
  /**
   * Drive one shard of the region: the schools whose place in the region's order is `index` modulo `count`
   * (parallel.ts runs the shards side by side, one thread each, on one table). The schools of a region do
   * not act on one another (an assignee is drawn from the school and the static contractors, every draw of
   * the behaviour model is keyed by its school, and each school has its own workflows), so the shards
   * together do what one run does. The caller writes the contractors once (`writeSharedData`); the import
   * still starts each school's workflow in the second the whole region's import would.
   */
  shard?: { index: number; count: number };
}

export interface SimulationProgress {
  /** Virtual time, epoch ms. */
  now: number;
  /** Share of the period simulated, 0 to 1. */
  fraction: number;
  actions: number;
  commands: number;
  activations: number;
}

export type ActionKind = 'submit' | 'review' | 'hold' | 'resume' | 'reassign' | 'waive';

export interface SimulationStats {
  /** Accepted commands by type. */
  commands: Partial<Record<CommandType, number>>;
  /** Commands the domain refused (each a line: time, milestone, command, why). Expected to be empty. */
  refused: string[];
  /** Outcomes of the workflow signal after the accepted commands. */
  signals: Partial<Record<SignalResult['kind'] | 'none', number>>;
  /** Milestones the people noticed the workflow had started. */
  activations: number;
  /** School reads by the people (noticing what the workflows did). */
  observations: number;
  /** Agenda entries carried out (actions and observations). */
  actions: number;
  /** The runtime at the end. */
  executions: number;
  runningExecutions: number;
  transitions: number;
}

export interface SimulationRun {
  region: Region;
  /** Every audit event of every school, oldest first per school. */
  events: MilestoneEvent[];
  stats: SimulationStats;
}

interface Tracked {
  def: MilestoneDefinition;
  status: MilestoneStatus;
  assignee: string | null;
  deadline: IsoDate;
  plannedStart: IsoDate;
  startedAt: number | null;
  /** Submissions made so far; the next one is number `attempt`. */
  attempt: number;
  /** Bumped whenever the scheduled submission or review is replaced (stale agenda entries are skipped). */
  gen: number;
  /** When the pending submission is due, if one is scheduled. */
  submitAt: number | null;
  heldAt: number | null;
  plan: ActivationPlan | null;
  /** The coordinator's decision on the submission under review. */
  review: ReviewOutcome | null;
}

interface SimSchool {
  school: School;
  milestones: Map<string, Tracked>;
  /** The time of the next observation on the agenda, if any. */
  observeAt: number | null;
  /** Consecutive observations that found a ready milestone not yet started. */
  misses: number;
}

export type Action = { kind: 'observe'; schoolId: string } | { kind: ActionKind; schoolId: string; key: string; gen: number };

const MANAGER: Actor = { role: 'program-manager', sub: 'sim-program-manager', name: 'Руководитель программы (симуляция)' };
const MINUTE = 60_000;
const RECHECK_DAYS = [1, 2, 4, 7];
/** Schools whose workflows are started, or whose records are read, at the same time when the whole region is. */
const IMPORT_CONCURRENCY = 16;

function contractorActor(org: string): Actor {
  return { role: 'contractor', sub: `sim-${org}`, org };
}

function coordinatorActor(district: string): Actor {
  return { role: 'district-coordinator', sub: `sim-coordinator-${district}`, district };
}

function schoolStaffActor(school: string): Actor {
  return { role: 'school-staff', sub: `sim-director-${school}`, school };
}

const CLOSED: readonly MilestoneStatus[] = ['completed', 'waived'];

export class Simulation {
  readonly region: Region;
  readonly behaviour: BehaviourModel;
  stats: SimulationStats;
  readonly #system: SimulatedSystem;
  readonly #commands: CommandService;
  readonly #options: SimulationOptions;
  readonly #program: ProgramDefinition;
  readonly #tz: string;
  #agenda = new Agenda<Action>();
  /** Set while the first entry after a resume is carried out again (see SimulationOptions.durability). */
  #resuming = false;
  readonly #schools = new Map<string, SimSchool>();
  readonly #startMs: number;
  readonly #endMs: number;
  /** The schools this run drives, in the region's order (all of them unless it is one shard). */
  readonly #driven: readonly School[];

  constructor(system: SimulatedSystem, options: SimulationOptions) {
    if (options.from > options.to) throw new RangeError(`the period ends (${options.to}) before it starts (${options.from})`);
    const shard = options.shard;
    if (
      shard &&
      !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)
    )
      throw new RangeError(`not a shard: ${shard.index} of ${shard.count}`);
    if (shard && options.durability) throw new Error('a durable simulation runs as one shard');
    this.#system = system;
    this.#options = options;
    this.#program = options.program;
    this.#commands = createCommandService({ store: system.store, program: options.program, clock: system.clock, signals: system.signal });
    this.#tz = options.program.timeZone;
    this.region = generateRegion({ seed: options.seed, schools: options.schools });
    this.#driven = shard ? this.region.schools.filter((_, i) => i % shard.count === shard.index) : this.region.schools;
    this.behaviour = new BehaviourModel({
      seed: options.seed,
      timeZone: this.#tz,
      contractors: this.region.contractors,
      ...(options.rates ? { rates: options.rates } : {}),
    });
    this.#startMs = Simulation.startInstant(options.program, options.from);
    this.#endMs = endOfLocalDay(options.to, this.#tz).getTime();
    this.stats = {
      commands: {},
      refused: [],
      signals: {},
      activations: 0,
      observations: 0,
      actions: 0,
      executions: 0,
      runningExecutions: 0,
      transitions: 0,
    };
  }

  /** What the shards of a region share, written once before they run: the contractors. */
  static async writeSharedData(store: MilestoneStore, region: Region): Promise<void> {
    for (const c of region.contractors) await store.putContractor(c);
  }

  /** The instant the simulation starts at: the clock of the system must show it when `run` is called. */
  static startInstant(program: ProgramDefinition, from: IsoDate): number {
    return zonedInstant(from, '00:00', program.timeZone).getTime();
  }

  /** The first instant after the import of `schools` schools (started IMPORT_SCHOOLS_PER_SECOND a second from the start). */
  static importEndInstant(program: ProgramDefinition, from: IsoDate, schools: number): number {
    return Simulation.startInstant(program, from) + Math.ceil(schools / IMPORT_SCHOOLS_PER_SECOND) * 1000;
  }

  get #now(): number {
    return this.#system.clock.nowMs();
  }

  async run(): Promise<SimulationRun> {
    const durability = this.#options.durability;
    const saved = durability?.load() ?? null;
    if (saved === null && this.#now !== this.#startMs) {
      throw new Error(
        `the clock shows ${new Date(this.#now).toISOString()}, the simulation starts at ${new Date(this.#startMs).toISOString()}`,
      );
    }
    if (saved !== null && this.#now < saved.now) {
      throw new Error(`the clock shows ${new Date(this.#now).toISOString()}, before the checkpoint's ${new Date(saved.now).toISOString()}`);
    }
    if (saved === null || saved.phase === 'imported') {
      await this.#importRegion(saved !== null);
      this.#save('running');
    } else {
      this.#restore(saved);
      this.#resuming = true;
    }
    if (saved?.phase !== 'finished') {
      while (this.#agenda.size > 0 && this.#agenda.peek()!.at < this.#endMs) {
        const entry = this.#agenda.pop()!;
        await this.#system.runtime.advanceTo(entry.at);
        await this.#carryOut(entry.item);
        await this.#system.deliverNotifications?.();
        this.stats.actions++;
        this.#resuming = false;
        this.#save('running');
        this.#progress();
      }
      await this.#system.runtime.advanceTo(this.#endMs);
      await this.#system.deliverNotifications?.();
      const runtime = this.#system.runtime.stats();
      this.stats.executions = runtime.executions;
      this.stats.runningExecutions = runtime.running;
      this.stats.transitions = runtime.transitions;
      this.#save('finished');
    }
    this.#progress();
    return { region: this.region, events: this.#options.auditLog === false ? [] : await this.#auditLog(), stats: this.stats };
  }

  // ---------- durability: the people's state between two entries ----------

  #save(phase: SimulationCheckpoint['phase']): void {
    const durability = this.#options.durability;
    if (!durability) return;
    const schools = [...this.#schools.values()].map((s): SavedSchool => ({
      id: s.school.id,
      observeAt: s.observeAt,
      misses: s.misses,
      milestones: [...s.milestones.values()].map(({ def, ...t }) => ({ ...t, key: def.key })),
    }));
    durability.save({ phase, now: this.#now, agenda: this.#agenda.snapshot(), schools, stats: this.stats });
  }

  #restore(saved: SimulationCheckpoint): void {
    const byId = new Map(this.region.schools.map((school) => [school.id, school]));
    const defs = new Map(this.#program.milestones.map((def) => [def.key, def]));
    this.#schools.clear();
    for (const s of saved.schools) {
      const school = byId.get(s.id);
      if (!school) throw new Error(`the checkpoint names school ${s.id}, which this seed's region does not have`);
      const milestones = new Map<string, Tracked>();
      for (const { key, ...t } of s.milestones) {
        const def = defs.get(key);
        if (!def) throw new Error(`the checkpoint names milestone ${key}, which the program does not have`);
        milestones.set(key, { ...t, def });
      }
      this.#schools.set(s.id, { school, milestones, observeAt: s.observeAt, misses: s.misses });
    }
    this.#agenda = Agenda.restore(saved.agenda);
    this.stats = saved.stats;
  }

  #progress(): void {
    const span = this.#endMs - this.#startMs;
    this.#options.onProgress?.({
      now: this.#now,
      fraction: span <= 0 ? 1 : Math.min(1, Math.max(0, (this.#now - this.#startMs) / span)),
      actions: this.stats.actions,
      commands: Object.values(this.stats.commands).reduce((a, b) => a + b, 0),
      activations: this.stats.activations,
    });
  }

  // ---------- setting up: the region enters the system as an import does ----------

  /**
   * `imported`: a process before this one wrote the region (and may have started workflows, which change
   * the schools' items): only what follows is done again, all of it idempotent (executions have
   * deterministic names; the observations read the store at the same virtual instant).
   */
  async #importRegion(imported: boolean): Promise<void> {
    const { store, signal } = this.#system;
    const at = new Date(this.#now);
    const driven = this.#driven;
    if (!imported) {
      if (!this.#options.shard) await Simulation.writeSharedData(store, this.region);
      const version = this.#options.programVersion ?? 1;
      await store.putSchools(version === 1 ? driven : driven.map((s) => ({ ...s, programVersion: version })));
      await store.initMilestones(driven.flatMap((s) => this.#program.milestones.map((m) => initialState(this.#program, s, m.key, at))));
    }
    for (const school of driven) {
      const milestones = new Map<string, Tracked>();
      for (const def of this.#program.milestones) {
        const state = initialState(this.#program, school, def.key, at);
        milestones.set(def.key, {
          def,
          status: state.status,
          assignee: state.assignee,
          deadline: state.deadline,
          plannedStart: state.plannedStart,
          startedAt: null,
          attempt: 0,
          gen: 0,
          submitAt: null,
          heldAt: null,
          plan: null,
          review: null,
        });
      }
      this.#schools.set(school.id, { school, milestones, observeAt: null, misses: 0 });
    }
    this.#save('imported');
    // The schools' workflows start side by side, as an import job's would (their names are the schools',
    // so the order they start in changes nothing); the people then look at every school, the reads side
    // by side too, and take what they see in the region's order, so the agenda is the same in every run.
    // They start as the import job starts them, IMPORT_SCHOOLS_PER_SECOND a second (of the virtual clock,
    // which the service meter counts in), under Step Functions' StartExecution quota; a shard starts its
    // own schools in the seconds the whole region's import starts them.
    for (let i = 0, second = 0; i < this.region.schools.length; i += IMPORT_SCHOOLS_PER_SECOND, second++) {
      const starting = this.region.schools.slice(i, i + IMPORT_SCHOOLS_PER_SECOND).filter((school) => this.#schools.has(school.id));
      await this.#system.runtime.advanceTo(this.#startMs + second * 1000);
      await mapLimit(starting, IMPORT_CONCURRENCY, (school) => signal.ensureExecution(school.id));
    }
    await this.#system.runtime.idle();
    const records = await mapLimit(driven, IMPORT_CONCURRENCY, (school) => this.#system.store.getSchool(school.id));
    driven.forEach((school, i) => this.#noticed(this.#schools.get(school.id)!, records[i]!));
  }

  // ---------- noticing what the workflows did ----------

  async #observe(s: SimSchool): Promise<void> {
    this.#noticed(s, await this.#system.store.getSchool(s.school.id));
  }

  /** What the people make of a read of the school. */
  #noticed(s: SimSchool, record: SchoolRecord | null): void {
    this.stats.observations++;
    if (!record) throw new Error(`school ${s.school.id} is not in the store`);
    for (const stored of record.milestones) {
      const t = s.milestones.get(stored.state.key);
      if (!t) continue;
      const wasStarted = t.startedAt !== null;
      this.#apply(t, stored.state);
      if (!wasStarted && t.startedAt !== null) this.#activated(s, t);
    }
    this.#planObservation(s);
  }

  /** When to look at the school again: the morning of its next planned start, or soon if something ready has not started. */
  #planObservation(s: SimSchool): void {
    const now = this.#now;
    const today = localDate(new Date(now), this.#tz);
    let next = Infinity;
    let stuck = false;
    for (const t of s.milestones.values()) {
      if (t.status !== 'pending' || t.startedAt !== null) continue;
      const depsDone = t.def.dependsOn.every((dep) => CLOSED.includes(s.milestones.get(dep)?.status ?? 'pending'));
      if (!depsDone) continue;
      if (t.plannedStart > today) {
        next = Math.min(next, zonedInstant(t.plannedStart, '08:00', this.#tz).getTime());
      } else {
        stuck = true;
      }
    }
    if (stuck) {
      const days = RECHECK_DAYS[Math.min(s.misses, RECHECK_DAYS.length - 1)]!;
      s.misses++;
      next = Math.min(next, zonedInstant(addDays(today, days), '08:00', this.#tz).getTime());
    } else {
      s.misses = 0;
    }
    if (next === Infinity || next >= this.#endMs) return;
    if (s.observeAt !== null && s.observeAt > now && s.observeAt <= next) return;
    s.observeAt = next;
    this.#agenda.add(next, { kind: 'observe', schoolId: s.school.id });
  }

  /** True when closing `closed` leaves a milestone that depends on it with every dependency closed: the workflow may start it now. */
  #unlocks(s: SimSchool, closed: Tracked): boolean {
    for (const t of s.milestones.values()) {
      if (t.status !== 'pending' || !t.def.dependsOn.includes(closed.def.key)) continue;
      if (t.def.dependsOn.every((dep) => CLOSED.includes(s.milestones.get(dep)?.status ?? 'pending'))) return true;
    }
    return false;
  }

  #apply(t: Tracked, state: MilestoneState): void {
    t.status = state.status;
    t.assignee = state.assignee;
    t.deadline = state.deadline;
    if (state.startedAt !== null && t.startedAt === null) t.startedAt = Date.parse(state.startedAt);
  }

  #future(at: number): number {
    return Math.max(at, this.#now + MINUTE);
  }

  #activated(s: SimSchool, t: Tracked): void {
    this.stats.activations++;
    const schoolId = s.school.id;
    const key = t.def.key;
    const plan = this.behaviour.onActivated({ schoolId, key, assignee: t.assignee, deadline: t.deadline, startedAt: t.startedAt! });
    t.plan = plan;
    if (plan.kind === 'waive') {
      this.#agenda.add(this.#future(plan.at), { kind: 'waive', schoolId, key, gen: t.gen });
      return;
    }
    if (t.assignee === null) {
      // Nobody could be assigned: the manager finds someone first.
      this.#agenda.add(this.#future(t.startedAt! + 3 * DAY_MS), { kind: 'reassign', schoolId, key, gen: t.gen });
      return;
    }
    this.#scheduleSubmission(t, schoolId, plan.submitAt);
    if (plan.hold) this.#agenda.add(this.#future(plan.hold.at), { kind: 'hold', schoolId, key, gen: t.gen });
    if (plan.reassignAt !== null) this.#agenda.add(this.#future(plan.reassignAt), { kind: 'reassign', schoolId, key, gen: t.gen });
  }

  #scheduleSubmission(t: Tracked, schoolId: string, at: number): void {
    t.gen++;
    t.submitAt = this.#future(at);
    this.#agenda.add(t.submitAt, { kind: 'submit', schoolId, key: t.def.key, gen: t.gen });
  }

  // ---------- acting ----------

  async #carryOut(action: Action): Promise<void> {
    const s = this.#schools.get(action.schoolId)!;
    if (action.kind === 'observe') {
      if (s.observeAt !== this.#now) return; // replaced by an earlier observation
      s.observeAt = null;
      await this.#observe(s);
      return;
    }
    const t = s.milestones.get(action.key)!;
    const schoolId = s.school.id;
    const key = t.def.key;
    switch (action.kind) {
      case 'submit': {
        if (action.gen !== t.gen || t.status !== 'active' || t.assignee === null) return;
        const evidence = this.behaviour.evidence(t.def, s.school, this.#now, t.attempt);
        // The documents the evidence rules require, generated, as the contractor would upload them.
        try {
          await attachGeneratedDocuments(
            { store: this.#system.store, bucket: this.#system.documents ?? null },
            t.def,
            s.school,
            contractorActor(t.assignee),
            new Date(this.#now),
          );
        } catch (error) {
          // The milestone is no longer active in the store: the submission below is refused and counted.
          if (!(error instanceof AttachRefusedError)) throw error;
        }
        const state = await this.#command(s, t, { type: 'submit', evidence }, contractorActor(t.assignee));
        if (!state) return;
        t.submitAt = null;
        t.review = this.behaviour.review({ schoolId, key, assignee: t.assignee }, this.#now, t.attempt);
        t.attempt++;
        this.#agenda.add(this.#future(t.review.at), { kind: 'review', schoolId, key, gen: t.gen });
        return;
      }
      case 'review': {
        const review = t.review;
        if (action.gen !== t.gen || t.status !== 'submitted' || review === null) return;
        t.review = null;
        const coordinator = coordinatorActor(s.school.district);
        if (review.verdict === 'accept') {
          // The sign-offs the program asks for, in its order (the school measured the standard speed), then the acceptance.
          for (const role of t.def.signOffs) {
            const signer = role === 'school-staff' ? schoolStaffActor(schoolId) : coordinator;
            const measured =
              role === 'school-staff' && t.def.evidence === 'connection' ? { measuredMbps: requiredBandwidthMbps(s.school) } : {};
            if (!(await this.#command(s, t, { type: 'signoff', ...measured }, signer))) return;
          }
          if ((await this.#command(s, t, { type: 'accept' }, coordinator)) && this.#unlocks(s, t)) await this.#observe(s);
          return;
        }
        if (!(await this.#command(s, t, { type: 'reject', reason: review.reason ?? 'Документы неполные' }, coordinator))) return;
        this.#scheduleSubmission(t, schoolId, this.behaviour.resubmitAt({ schoolId, key, assignee: t.assignee }, this.#now, t.attempt));
        return;
      }
      case 'hold': {
        const plan = t.plan;
        if (action.gen !== t.gen || t.status !== 'active' || plan?.kind !== 'work' || !plan.hold) return;
        if (!(await this.#command(s, t, { type: 'hold', reason: plan.hold.reason }, MANAGER))) return;
        t.heldAt = this.#now;
        t.gen++; // the submission waits for the resume
        this.#agenda.add(this.#future(plan.hold.resumeAt), { kind: 'resume', schoolId, key, gen: t.gen });
        return;
      }
      case 'resume': {
        if (action.gen !== t.gen || t.status !== 'on-hold') return;
        const resumed = await this.#command(s, t, { type: 'resume', note: 'Причина приостановки устранена' }, MANAGER);
        if (!resumed) return;
        const remaining = t.submitAt !== null && t.heldAt !== null ? Math.max(0, t.submitAt - t.heldAt) : 14 * DAY_MS;
        t.heldAt = null;
        if (resumed.status === 'active') this.#scheduleSubmission(t, schoolId, this.#now + remaining);
        return;
      }
      case 'reassign': {
        if (action.gen !== t.gen || t.status !== 'active') return;
        const school = s.school;
        const eligible = eligibleAssignees(t.def, school, this.region.contractors, localDate(new Date(this.#now), this.#tz));
        const next = this.behaviour.replacement({ schoolId, key, assignee: t.assignee }, eligible);
        if (next === null) return;
        const reason = t.assignee === null ? 'Назначение исполнителя' : 'Исполнитель срывает сроки, работы переданы другой организации';
        if (!(await this.#command(s, t, { type: 'reassign', contractor: next, reason }, MANAGER))) return;
        this.#scheduleSubmission(t, schoolId, this.behaviour.submitAfterReassignment({ schoolId, key }, next, this.#now));
        return;
      }
      case 'waive': {
        const plan = t.plan;
        if (action.gen !== t.gen || CLOSED.includes(t.status) || plan?.kind !== 'waive') return;
        if ((await this.#command(s, t, { type: 'waive', reason: plan.reason }, MANAGER)) && this.#unlocks(s, t)) await this.#observe(s);
        return;
      }
    }
  }

  /** One command through the API's path: the command service (authorise → load → decide → commit with its signal → deliver). */
  async #command(s: SimSchool, t: Tracked, command: Command, actor: Actor): Promise<MilestoneState | null> {
    const schoolId = s.school.id;
    const key = t.def.key;
    const durable = this.#options.durability !== undefined;
    const { outcome, signal } = await this.#commands.execute({
      schoolId,
      milestone: key,
      command,
      actor,
      ...(durable ? { idempotencyKey: this.#idempotencyKey(schoolId, key, command.type), resumingAfterCrash: this.#resuming } : {}),
    });
    if (!outcome.ok) {
      this.stats.refused.push(
        `${new Date(this.#now).toISOString()} ${schoolId}/${key} ${command.type}: ${outcome.code}: ${outcome.message}`,
      );
      await this.#observe(s);
      return null;
    }
    this.stats.commands[command.type] = (this.stats.commands[command.type] ?? 0) + 1;
    const kind = (signal?.kind ?? 'none') as SignalResult['kind'] | 'none';
    this.stats.signals[kind] = (this.stats.signals[kind] ?? 0) + 1;
    await this.#system.runtime.idle();
    this.#apply(t, outcome.state);
    return outcome.state;
  }

  /**
   * The same for the same command of the same run however often it is carried out: the seed, the
   * milestone, the action and the virtual instant (no entry of the agenda runs two commands of one type
   * on one milestone at one instant).
   */
  #idempotencyKey(schoolId: string, key: string, type: CommandType): string {
    const what = `${String(this.#options.seed)}|${schoolId}|${key}|${type}|${this.#now}`;
    return `sim-${createHash('sha256').update(what).digest('base64url').slice(0, 32)}`;
  }

  // ---------- the record ----------

  async #auditLog(): Promise<MilestoneEvent[]> {
    const histories = await mapLimit(this.#driven, IMPORT_CONCURRENCY, (school) => wholeHistory(this.#system.store, school.id));
    return histories.flat();
  }
}
