/**
 * What the decider needs to know besides the command: the program, the school, the school's milestone
 * states (a command on one milestone may depend on its siblings) and the contractors that could be
 * assigned. What it returns: the events to append and the notifications to put in the outbox.
 */
import type {
  Contractor,
  DocumentRef,
  MilestoneDefinition,
  MilestoneEvent,
  MilestoneKey,
  MilestoneState,
  MilestoneNotification,
  ProgramDefinition,
  School,
} from '../program/model.js';
import type { Rejection } from './rejection.js';

export interface DecisionContext {
  program: ProgramDefinition;
  school: School;
  /** The milestone the command is about. */
  milestone: MilestoneKey;
  /**
   * The school's milestone states by key: at least the target and its dependencies. A milestone with no
   * stored state yet counts as `initialState` (pending, version 0).
   */
  states: Readonly<Partial<Record<MilestoneKey, MilestoneState>>>;
  /** Contractors that may be assigned (start, reassign); only those of the milestone's kind serving the school's district qualify. */
  contractors: readonly Contractor[];
  /** The documents attached to the milestone's open submission (submit: checked against the evidence rules). */
  documents?: readonly DocumentRef[];
}

export type Decision =
  | {
      ok: true;
      /** To append, in order; versions are consecutive from the state's version + 1. */
      events: MilestoneEvent[];
      /** To write to the outbox in the same transaction as the events. */
      notifications: MilestoneNotification[];
      /** The milestone state after the events (the item to write, conditional on the previous version). */
      state: MilestoneState;
    }
  | { ok: false; rejection: Rejection };

export function milestoneDefinition(program: ProgramDefinition, key: MilestoneKey): MilestoneDefinition | undefined {
  return program.milestones.find((m) => m.key === key);
}
