/**
 * The local Step Functions runtime (see README.md beside this file).
 *
 *   const runtime = createRuntime({ clock, store: { dataDir }, lambdas: { myFn: handler }, dynamodb });
 *   const { stateMachineArn } = runtime.createStateMachine({ name, definition });
 *   const { executionArn } = runtime.startExecution({ stateMachineArn, input: '{}' });
 *   await runtime.runUntilIdle();             // virtual clock: through every timer
 *   const api = await serveSfnApi(runtime, { port: 0 });   // SFNClient({ endpoint: api.endpoint })
 */
export { createRuntime, Runtime } from './runtime.js';
export type {
  RuntimeOptions,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionSummary,
  StateMachineSummary,
  ApiHistoryEvent,
} from './runtime.js';
export { serveSfnApi, handleSfnRequest } from './api-server.js';
export type { SfnApiServer } from './api-server.js';
export { LambdaRegistry } from './integrations.js';
export type { LambdaHandler, LambdaContext } from './integrations.js';
export { compileDefinition, parseResource } from './definition.js';
export type { CompiledMachine } from './definition.js';
export { ApiError, DefinitionError, JsonataError, SfnError, StatesErrors, errorMatches } from './errors.js';
export { validateDefinition } from './validation.js';
export type { Diagnostic, ValidationResult } from './validation.js';
export type { TestStateInput, TestStateOutput, InspectionLevel } from './test-state.js';
export { ExactInteger, parseJsonText, parseStrictJson, stringifyJson } from './json-text.js';
export { MemoryStore, SqliteStore } from './store.js';
export type { CheckpointStore } from './store.js';
export { deployTemplate, templateHandlers, ENTRY_METADATA_KEY } from './stack.js';
export type { DeployOptions, DeployResult } from './stack.js';
export { stateMachineArn, executionArn, lambdaFunctionArn } from './arn.js';
export { makeTaskToken, parseTaskToken } from './interpreter.js';
export type { ExecutionStatus } from './model.js';
