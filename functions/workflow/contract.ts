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

/**
 * Errors the lifecycle's wait step reports on its own task token when there is nothing to wait for:
 * the milestone is completed, waived or back to pending (the lifecycle ends), or the execution is old
 * enough to hand over to its successor.
 */
export const LIFECYCLE_END_ERROR = 'Lifecycle.End';
export const LIFECYCLE_RENEW_ERROR = 'Lifecycle.Renew';
