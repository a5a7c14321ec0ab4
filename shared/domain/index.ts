/** The pure domain core: decide/evolve, reminders, overdue, permissions and evidence rules. */
export * from './context.js';
export * from './rejection.js';
export * from './decider.js';
export * from './evolve.js';
export * from './permissions.js';
export * from './assignees.js';
export * from './evidence.js';
export * from './overdue.js';
export * from './reminders.js';
export * from './notifications.js';
export { planMilestones, type MilestonePlan } from '../program/plan.js';
export { loadProgram, ProgramError } from '../program/load-program.js';
export * from './contractors.js';
export * from './school-profile.js';
export * from './migration.js';
