/**
 * The names the workflow functions and the CDK construct that declares them share: environment
 * variables and the sweep's schedule input. Free of side effects, so the CDK app can import it without
 * loading the handlers.
 */

/** Environment variable names (the construct sets them, the handlers read them). */
export const WORKFLOW_ENV = {
  table: 'TABLE_NAME',
  schoolProgram: 'SCHOOL_PROGRAM_STATE_MACHINE_ARN',
  milestoneLifecycle: 'MILESTONE_LIFECYCLE_STATE_MACHINE_ARN',
} as const;

/** The `task` of the workflow sweep's schedule input. */
export const SWEEP_TASK = 'workflow-sweep';

/** Error names of the handlers: `Workflow.Transient` is retried by the state machines, `Workflow.Permanent` is not. */
export const TRANSIENT_ERROR = 'Workflow.Transient';
export const PERMANENT_ERROR = 'Workflow.Permanent';
