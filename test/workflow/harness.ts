/**
 * The milestone workflows as they run locally, for tests and the cost benchmark:
 *
 *   the CDK app synthesized in-process (once per process) → the template loaded by the local template
 *   loader → the template's table on DynamoDB Local → the local Step Functions runtime on a virtual
 *   clock with its HTTP API → the state machines of the template, with the workflow functions imported
 *   from their `cos:entry` sources, running with the template's environment plus the local overrides
 *   (the table's name, the SDK endpoints).
 *
 * Commands go the way the API sends them: through the command service (authorise → load → decide →
 * commit with the signal → deliver it) against the runtime's Step Functions API.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../shared/clock.js';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import { AttachRefusedError } from '../../shared/store/documents.js';
import { createCommandService, type CommandOutcome } from '../../shared/commands/execute.js';
import type { Actor, Command, Contractor, MilestoneEvent, MilestoneKey, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { createStore, wholeHistory, type MilestoneStore } from '../../shared/store/index.js';
import { programWaits } from '../../shared/store/program-wait.js';
import { createWorkflowSignal, type SignalResult, type WorkflowSignal } from '../../functions/common/workflow-signal.js';
import { synthTemplate } from '../../infra/local/synth.js';
import { createTablesFromTemplate } from '../../infra/local/tables.js';
import { loadTemplate, type CfnTemplate, type LocalStack } from '../../infra/local/template.js';
import { createRuntime, type Runtime } from '../../infra/local/sfn/runtime.js';
import { serveSfnApi, type SfnApiServer } from '../../infra/local/sfn/api-server.js';
import { deployTemplate, ENTRY_METADATA_KEY } from '../../infra/local/sfn/stack.js';
import { withFunctionEnvironment } from '../../infra/local/function-env.js';
import type { LambdaHandler } from '../../infra/local/sfn/integrations.js';
import { HANDLER_METADATA } from '../../infra/aws/constructs/app-function.js';
import { WORKFLOW_ENTRIES, workflowStateMachineNames } from '../../infra/aws/constructs/workflows.js';
import { stackNameFor } from '../../infra/aws/settings.js';

export const REGION = 'eu-central-1';
export const ACCOUNT = '000000000000';
const WORKFLOW_SOURCES = 'functions/workflow/';

let synthesized: { template: CfnTemplate; local: LocalStack } | undefined;

/** The dev stage's template, synthesized once per process. */
export function workflowTemplate(): { template: CfnTemplate; local: LocalStack } {
  if (!synthesized) {
    const template = synthTemplate();
    synthesized = { template, local: loadTemplate(template, { region: REGION, accountId: ACCOUNT }) };
  }
  return synthesized;
}

/** The handlers of the workflow functions, imported from the sources their `cos:entry` names. */
async function workflowHandlers(
  local: LocalStack,
  overrides: Record<string, string>,
  wrap?: HandlerWrapper,
): Promise<Record<string, LambdaHandler>> {
  const handlers: Record<string, LambdaHandler> = {};
  for (const fn of local.functions) {
    const entry = fn.metadata[ENTRY_METADATA_KEY];
    if (typeof entry !== 'string' || !entry.startsWith(WORKFLOW_SOURCES)) continue;
    const exportName = typeof fn.metadata[HANDLER_METADATA] === 'string' ? (fn.metadata[HANDLER_METADATA] as string) : 'handler';
    const mod = (await import(new URL(`../../${entry}`, import.meta.url).href)) as Record<string, unknown>;
    const handler = mod[exportName];
    if (typeof handler !== 'function') throw new Error(`${fn.logicalId}: ${entry} exports no function ${exportName}`);
    // Each function runs in its own environment: its template variables and the local overrides.
    const own = withFunctionEnvironment({ ...fn.environment, ...overrides }, handler as LambdaHandler);
    handlers[fn.logicalId] = wrap ? wrap({ logicalId: fn.logicalId, entry, exportName }, own) : own;
  }
  if (Object.keys(handlers).length === 0) throw new Error(`the template has no function from ${WORKFLOW_SOURCES}`);
  return handlers;
}

/** The workflow sweep as its schedule invokes it: the target's Input with the scheduled time filled in. */
function sweepInvocation(local: LocalStack, handlers: Record<string, LambdaHandler>): (at: Date) => Promise<unknown> {
  const fn = local.functions.find((f) => f.metadata[ENTRY_METADATA_KEY] === WORKFLOW_ENTRIES.sweep);
  if (!fn) throw new Error(`the template has no function ${WORKFLOW_ENTRIES.sweep}`);
  const schedules = Object.values(local.template.Resources ?? {}).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
  const target = schedules
    .map((r) => local.resolver.resolve(r.Properties?.Target) as { Arn?: string; Input?: string })
    .find((t) => t.Arn === fn.arn);
  if (!target?.Input) throw new Error(`no schedule targets ${fn.name}`);
  const input = target.Input;
  return async (at) => {
    const event = JSON.parse(input.replaceAll('<aws.scheduler.scheduled-time>', at.toISOString().replace(/\.\d{3}Z$/, 'Z'))) as unknown;
    return handlers[fn.logicalId]!(event, {} as never);
  };
}

/** Wraps a workflow function's handler (tests that act at a precise step; invocation counts). */
export type HandlerWrapper = (fn: { logicalId: string; entry: string; exportName: string }, handler: LambdaHandler) => LambdaHandler;

export interface HarnessOptions {
  /** Where the virtual clock starts. */
  start: string;
  dynamodbEndpoint: string;
  /** Where the workflow functions' DynamoDB clients go (a counting proxy in the cost benchmark); default `dynamodbEndpoint`. */
  functionsDynamodbEndpoint?: string;
  wrap?: HandlerWrapper;
}

export interface CommandResult {
  outcome: CommandOutcome;
  signal: SignalResult | null;
}

export interface Harness {
  readonly clock: VirtualClock;
  readonly runtime: Runtime;
  readonly store: MilestoneStore;
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly programArn: string;
  readonly lifecycleArn: string;
  readonly signal: WorkflowSignal;
  readonly lambdaNames: Record<string, string>;
  /** Schools, contractors and their milestones' initial items. */
  seed(schools: readonly School[], contractors: readonly Contractor[]): Promise<void>;
  /** The school's program: started if none runs (what the sweep and the API do). */
  ensureProgram(schoolId: string): Promise<{ executionArn: string; started: boolean }>;
  /** A command through the same orchestration and workflow signal as the API; then the runtime settles. */
  command(schoolId: string, milestone: MilestoneKey, command: Command, actor: Actor): Promise<CommandResult>;
  /** Fires every timer up to `at`, in time order, and settles. */
  advanceTo(at: string | Date): Promise<void>;
  settle(): Promise<void>;
  /** The school's audit events, oldest first. */
  events(schoolId: string): Promise<MilestoneEvent[]>;
  /** Every execution of a state machine. */
  executions(stateMachineArn: string): Promise<ExecutionListItem[]>;
  /** The handler a workflow function of the template runs (`cos:entry`, `cos:handler`). */
  handler(entry: string, exportName?: string): LambdaHandler;
  /** The daily workflow sweep, run now as its schedule would run it. */
  sweep(): Promise<unknown>;
  /**
   * The workflow signal over a Step Functions client of its own whose calls fail (a network error, before
   * anything is sent) whenever `fail()` says so: for tests of signals lost after their commit.
   */
  failingSignal(fail: () => boolean): WorkflowSignal;
  /**
   * Step Functions loses every execution (a new runtime with an empty checkpoint store, on the same
   * table): only DynamoDB remembers the schools.
   */
  loseExecutions(): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const { template, local } = workflowTemplate();
  const stackName = stackNameFor('dev');
  const names = workflowStateMachineNames(stackName);

  // Every client made without options (the handlers') talks to the local services.
  const dynamodb = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `workflow-${randomBytes(4).toString('hex')}`;
  await createTablesFromTemplate(dynamodb, template, { tableName: () => tableName });

  const clock = new VirtualClock(options.start);
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = options.functionsDynamodbEndpoint ?? options.dynamodbEndpoint;
  // Quieter than the dev stage's DEBUG: the functions' errors only.
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // The local override: this harness's table. Everything else comes from the template's environment.
  const handlers = await workflowHandlers(local, { TABLE_NAME: tableName }, options.wrap);
  const runSweep = sweepInvocation(local, handlers);

  /** A runtime with the template's state machines and the workflow functions, and its HTTP API. */
  const boot = async (): Promise<{ runtime: Runtime; api: SfnApiServer; programArn: string; lifecycleArn: string; sfn: SFNClient }> => {
    const runtime = createRuntime({ clock, store: 'memory', dynamodb, region: REGION, accountId: ACCOUNT });
    const api = await serveSfnApi(runtime);
    process.env.AWS_ENDPOINT_URL_SFN = api.endpoint;
    const deployed = await deployTemplate(runtime, local, { handlers });
    const programArn = deployed.stateMachines[names.schoolProgram];
    const lifecycleArn = deployed.stateMachines[names.milestoneLifecycle];
    if (!programArn || !lifecycleArn)
      throw new Error(`the template lacks the workflows: ${Object.keys(deployed.stateMachines).join(', ')}`);
    for (const [name, value] of local.functions.flatMap((f) => Object.entries(f.environment))) {
      if (name.endsWith('_STATE_MACHINE_ARN') && value && !Object.values(deployed.stateMachines).includes(value)) {
        throw new Error(`${name}=${value} names no deployed state machine`);
      }
    }
    const sfn = new SFNClient({ endpoint: api.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    return { runtime, api, programArn, lifecycleArn, sfn };
  };
  let sys = await boot();

  const store = createStore({ client: dynamodb, tableName, clock });
  const signalOf = (sfn: SFNClient) =>
    createWorkflowSignal({
      sfn,
      store,
      stateMachineArn: sys.programArn,
      lifecycleStateMachineArn: sys.lifecycleArn,
      programWaits: programWaits(dynamodb, tableName),
      log: () => undefined,
    });
  let signal = signalOf(sys.sfn);

  const settle = () => sys.runtime.idle();
  return {
    clock,
    get runtime() {
      return sys.runtime;
    },
    store,
    get sfn() {
      return sys.sfn;
    },
    dynamodb,
    tableName,
    get programArn() {
      return sys.programArn;
    },
    get lifecycleArn() {
      return sys.lifecycleArn;
    },
    get signal() {
      return signal;
    },
    lambdaNames: Object.fromEntries(local.functions.map((f) => [f.logicalId, f.name])),
    async seed(schools, contractors) {
      await store.putSchools(schools);
      for (const c of contractors) await store.putContractor(c);
    },
    async ensureProgram(schoolId) {
      const live = await signal.ensureExecution(schoolId);
      await settle();
      return live;
    },
    async command(schoolId, milestone, command, actor) {
      if (command.type === 'submit') {
        // The documents the evidence rules require (records; the workflows never read the bytes).
        const school = (await store.getSchool(schoolId))?.school;
        const def = REFERENCE_PROGRAM.milestones.find((m) => m.key === milestone);
        if (school && def) {
          await attachGeneratedDocuments({ store, bucket: null }, def, school, actor, clock.now()).catch((error: unknown) => {
            if (!(error instanceof AttachRefusedError)) throw error; // not active: the submit is refused below
          });
        }
      }
      const { outcome, signal: result } = await createCommandService({ store, program: REFERENCE_PROGRAM, clock, signals: signal }).execute(
        { schoolId, milestone, command, actor },
      );
      await settle();
      return { outcome, signal: result as SignalResult | null };
    },
    async advanceTo(at) {
      await sys.runtime.advanceTo(at);
    },
    settle,
    events: (schoolId) => wholeHistory(store, schoolId),
    async executions(stateMachineArn) {
      const out: ExecutionListItem[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sys.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, nextToken }));
        out.push(...(page.executions ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    handler(entry, exportName = 'handler') {
      const fn = local.functions.find(
        (f) => f.metadata[ENTRY_METADATA_KEY] === entry && (f.metadata[HANDLER_METADATA] ?? 'handler') === exportName,
      );
      const handler = fn ? handlers[fn.logicalId] : undefined;
      if (!handler) throw new Error(`no workflow function ${entry}#${exportName} in the template`);
      return handler;
    },
    failingSignal(fail) {
      const sfn = new SFNClient({
        endpoint: sys.api.endpoint,
        region: REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      sfn.middlewareStack.add(
        (next) => async (args) => {
          if (fail()) throw Object.assign(new Error('connect ECONNREFUSED (injected)'), { name: 'NetworkingError' });
          return next(args);
        },
        { step: 'initialize', name: 'injectedFailure' },
      );
      return signalOf(sfn);
    },
    async sweep() {
      const result = await runSweep(clock.now());
      await settle();
      return result;
    },
    async loseExecutions() {
      await sys.runtime.close();
      await sys.api.close();
      sys.sfn.destroy();
      sys = await boot();
      signal = signalOf(sys.sfn);
    },
    async close() {
      await sys.runtime.close();
      await sys.api.close();
      sys.sfn.destroy();
      dynamodb.destroy();
    },
  };
}
