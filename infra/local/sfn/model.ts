/** The records the runtime keeps (and checkpoints): state machines, executions, frames, history events. */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineRecord {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: number;
  updateDate?: number;
  /** Increases with every UpdateStateMachine that changes the definition. */
  revision: number;
  /** Set by DeleteStateMachine: the machine is gone; its executions stay readable. */
  deleted?: boolean;
  /** TagResource / CreateStateMachine tags. */
  tags?: Record<string, string>;
}

export interface ParentLink {
  /** The execution whose Task started this one (states:startExecution). */
  executionArn: string;
  frameId: number;
  seq: number;
  /** True when the parent waits for this execution to end (.sync / .sync:2). */
  waits: boolean;
}

export interface ExecutionHeader {
  arn: string;
  name: string;
  stateMachineArn: string;
  stateMachineName: string;
  /** sha-256 of the definition text the execution runs (definitions are stored once, by id). */
  definitionId: string;
  roleArn: string;
  /** Global start order: ties between timers due at the same instant are broken by it. */
  ordinal: number;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  nextEventId: number;
  nextFrameId: number;
  /** Per-execution counter for task attempts and timers (stale completions and tokens are detected by it). */
  seq: number;
  /** State transitions so far (entered states). */
  transitions: number;
  /** State of the execution's random generator ($random(), $uuid(), full jitter). */
  rng: number;
  /** Execution TimeoutSeconds deadline, if the definition sets one. */
  timeoutAt?: number;
  parent?: ParentLink;
  /** RedriveExecution: how often the execution was redriven, and when last. */
  redriveCount?: number;
  redriveDate?: number;
  /** Where a redrive restarts: the state the execution's own frame was in when it stopped, with its input and variables. */
  restart?: RestartPoint;
}

/**
 * Where a frame starts again on RedriveExecution: its state, with that state's input and variables.
 * A Parallel or Map state that stopped while running branches keeps what each branch had done:
 * finished ones keep their output, the others restart where they stopped (recursively).
 */
export interface RestartPoint {
  state: string;
  input: unknown;
  vars: Record<string, unknown> | null;
  graphId?: string;
  index?: number;
  enteredAt?: number;
  enteredEventId?: number;
  branches?: BranchesPoint;
}

export interface BranchesPoint {
  done: { index: number; graphId: string; output: unknown }[];
  open: RestartPoint[];
  // Map: the items, the first one not started yet, the concurrency limit
  items?: unknown[];
  nextIndex?: number;
  maxConcurrency?: number;
}

/** The header of an execution that starts now: RUNNING, with its counters at their start. */
export function newExecutionHeader(
  fields: Omit<ExecutionHeader, 'status' | 'nextEventId' | 'nextFrameId' | 'seq' | 'transitions'>,
): ExecutionHeader {
  return { ...fields, status: 'RUNNING', nextEventId: 1, nextFrameId: 0, seq: 0, transitions: 0 };
}

export type Phase =
  | 'enter' // ready to enter `state` with `input`
  | 'attempt' // ready to start (or restart, after a retry delay) the work of a Task, Parallel or Map
  | 'outcome' // the work ended (`outcome`); ready to apply Output/Assign or Retry/Catch
  | 'task' // a task invocation is in flight (invoked again after a restart: at-least-once)
  | 'callback' // waiting for SendTaskSuccess/Failure with `token`
  | 'sync' // waiting for the child execution `child` to end
  | 'wait' // a Wait state's timer
  | 'retry' // a retry delay
  | 'children' // waiting for Parallel branches / Map iterations
  | 'redrive' // a redriven Parallel/Map: ready to restore its branches from `redo`
  | 'done'; // a branch or iteration that ended with `output`

export type Outcome = { ok: true; value: unknown } | { ok: false; error: string; cause: string };

export interface TimerRef {
  due: number;
  seq: number;
}

export interface FrameRecord {
  id: number;
  /** The frame of the Parallel or Map state that owns this branch/iteration; null for the execution's own. */
  parentId: number | null;
  graphId: string;
  /** Branch index or Map item index. */
  index: number;
  /** Variables assigned in this scope (outer scopes are read through the parent frame). */
  vars: Record<string, unknown> | null;
  state: string;
  input: unknown;
  enteredAt: number;
  /** The id of the state's StateEntered event (causes name it: "entered at the event id #N"). */
  enteredEventId?: number;
  phase: Phase;
  retryCounts: number[] | null;
  retryTotal: number;
  /** Current attempt (task invocation, callback token, timer) number; see ExecutionHeader.seq. */
  seq: number;
  timer?: TimerRef;
  token?: string;
  args?: unknown;
  timeoutAt?: number;
  heartbeatAt?: number;
  heartbeatSeconds?: number;
  /** For callback and .sync tasks: the invocation (handler call or StartExecution) has returned. */
  invoked?: boolean;
  child?: string;
  outcome?: Outcome;
  // Parallel / Map
  pending?: number;
  items?: unknown[];
  nextIndex?: number;
  running?: number;
  maxConcurrency?: number;
  output?: unknown;
  /** A Parallel/Map whose branch failed: what its branches had done (RedriveExecution restores it). */
  redo?: BranchesPoint;
  lastEventId: number;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}
