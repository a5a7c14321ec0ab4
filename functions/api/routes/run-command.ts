/**
 * A milestone command that administration implies (a reassignment when a contractor leaves, a re-plan
 * after a profile edit, a waiver when a school is archived): the command service, then the workflow
 * signal, as the command routes do.
 */
import { executeCommand, type CommandOutcome, type CommandRequest } from '../../../shared/commands/execute.js';
import type { ApiDeps } from './common.js';

export async function runCommand(deps: ApiDeps, request: CommandRequest): Promise<CommandOutcome> {
  const { outcome, context } = await executeCommand(deps, request);
  if (outcome.ok) {
    await deps.signal.afterCommit({
      schoolId: request.schoolId,
      milestone: request.milestone,
      state: outcome.state,
      events: outcome.events,
      task: context.task,
      tasks: context.tasks,
      replayed: outcome.replayed,
    });
  }
  return outcome;
}
