/**
 * Names and generations of the workflow executions (DESIGN.md §3.1: an execution is a re-creatable
 * driver, so its name must be derivable from what is stored).
 *
 * - School program: `school-<schoolId>-<generation>` (`programExecutionName`), input
 *   `{"schoolId"}`. Generation 1 is started by the first command or the sweep; each continue-as-new
 *   starts generation + 1; a lost one is replaced by the first generation whose name is unused.
 * - Milestone lifecycle: `ms-<schoolId>-<key>-g<generation>`, input `{"schoolId","key"}`, started by the
 *   program (Map over the milestones to start) and by its own continue-as-new.
 *
 * Same name + same input is idempotent while the execution runs (StartExecution returns it), so two
 * drivers that decide to start the same generation start one execution.
 */
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** How many generations of an execution are looked at before giving up. */
export const MAX_GENERATIONS = 64;

const NAME_LIMIT = 80;

/** `school-<id>-<generation>`; ids too long for the 80-character limit are shortened with a hash. */
export function programExecutionName(schoolId: string, generation: number): string {
  const name = `school-${schoolId}-${generation}`;
  if (name.length <= NAME_LIMIT) return name;
  const digest = createHash('sha256').update(schoolId).digest('hex').slice(0, 12);
  return `school-${schoolId.slice(0, NAME_LIMIT - 8 - 13 - String(generation).length - 1)}~${digest}-${generation}`;
}

/** The ARN of an execution of a state machine: `arn:aws:states:<region>:<account>:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

/** `ms-<schoolId>-<key>-g<generation>`; too long a name keeps a prefix of the school id and a hash of both. */
export function lifecycleExecutionName(schoolId: string, key: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 1) throw new RangeError(`generation must be a positive integer, got ${generation}`);
  const name = `ms-${schoolId}-${key}-g${generation}`;
  if (name.length <= NAME_LIMIT) return name;
  const digest = createHash('sha256').update(`${schoolId}#${key}`).digest('hex').slice(0, 12);
  const tail = `~${digest}-${key}-g${generation}`;
  return `ms-${schoolId.slice(0, NAME_LIMIT - 3 - tail.length)}${tail}`;
}

/** The generation at the end of a program (`…-<n>`) or lifecycle (`…-g<n>`) execution name; null if none. */
export function generationOf(executionName: string): number | null {
  const m = /-g?(\d{1,6})$/.exec(executionName);
  return m ? Number(m[1]) : null;
}

/** The execution's status, or null when no execution has that ARN. */
export async function executionStatus(sfn: SFNClient, executionArn: string): Promise<string | null> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status ?? null;
  } catch (error) {
    if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return null;
    throw error;
  }
}

export type LifecycleState = { running: true; executionArn: string; name: string } | { running: false; name: string };

/**
 * From generation `from` on: the first execution that runs, or the first name nobody used. Starting the
 * returned name with the usual input either starts it or (while it runs) returns the running one.
 */
async function firstLiveOrUnused(
  sfn: SFNClient,
  arnOf: (name: string) => string,
  nameOf: (generation: number) => string,
  from: number,
): Promise<LifecycleState> {
  for (let generation = from; generation < from + MAX_GENERATIONS; generation++) {
    const name = nameOf(generation);
    const arn = arnOf(name);
    const status = await executionStatus(sfn, arn);
    if (status === 'RUNNING') return { running: true, executionArn: arn, name };
    if (status === null) return { running: false, name };
  }
  throw new Error(`${nameOf(from)}: ${MAX_GENERATIONS} generations in a row have ended and none runs`);
}

/**
 * Whether a milestone's lifecycle runs, and if not, the name to start it under: the first generation
 * (after the hinted one, when its execution has ended) whose name is unused. `hintArn` is the execution
 * stored with the milestone's waiting task, if any.
 */
export async function findLifecycle(
  sfn: SFNClient,
  lifecycleStateMachineArn: string,
  schoolId: string,
  key: string,
  hintArn?: string,
): Promise<LifecycleState> {
  const arnOf = (name: string) => executionArnOf(lifecycleStateMachineArn, name);
  const nameOf = (generation: number) => lifecycleExecutionName(schoolId, key, generation);
  let from = 1;
  if (hintArn) {
    const hintName = hintArn.slice(hintArn.lastIndexOf(':') + 1);
    const status = await executionStatus(sfn, hintArn);
    if (status === 'RUNNING') return { running: true, executionArn: hintArn, name: hintName };
    const hinted = generationOf(hintName);
    if (status !== null && hinted !== null && hintArn === arnOf(nameOf(hinted))) from = hinted + 1;
  }
  return firstLiveOrUnused(sfn, arnOf, nameOf, from);
}

/**
 * The name a continue-as-new hands over to: the next generation after the running one, or (if that one
 * was used already) the first later one that runs or is unused. A name that is not of the scheme counts
 * as generation 0.
 */
export async function successorName(
  sfn: SFNClient,
  stateMachineArn: string,
  nameOf: (generation: number) => string,
  executionName: string,
): Promise<string> {
  const generation = generationOf(executionName);
  const current = generation !== null && nameOf(generation) === executionName ? generation : 0;
  const next = await firstLiveOrUnused(sfn, (name) => executionArnOf(stateMachineArn, name), nameOf, current + 1);
  return next.name;
}
