export * from './errors.js';
export {
  DUE_SHARDS,
  ENTITY,
  Entity,
  INDEX,
  OUTBOX_PREFIX,
  PK,
  SK,
  TTL_ATTRIBUTE,
  keyOf,
  keys,
  recipientKey,
  type IndexNames,
  type Key,
  type Recipient,
} from './keys.js';
export {
  TaskPhase,
  WaitingTask,
  MilestoneLine,
  fromItem,
  lineOf,
  notificationFromItem,
  PendingSignal,
  signalFromItem,
  toItem,
  type Item,
  type OutboxEntry,
  type StoredMilestone,
} from './marshall.js';
export { hashRequest, type IdempotencyLease, type IdempotencyOptions, type IdempotentResult } from './idempotency.js';
export {
  MAX_CONTRACTOR_CHANGES,
  PHASE_STATUS,
  createStore,
  wholeHistory,
  type ContractorChange,
  type ContractorRecord,
  type CommitInput,
  type HistoryOptions,
  type MilestoneStore,
  type OpenByDeadlineOptions,
  type Page,
  type PageOptions,
  type ProgramVersionStore,
  type SchoolRecord,
  type SchoolSummary,
  type StoreOptions,
  type SummaryListOptions,
  type TaskTokenInput,
} from './store.js';
export {
  JOB_STALE_AFTER_MS,
  MAX_JOB_ATTEMPTS,
  createJobStore,
  newJobId,
  type ImportRowResult,
  type JobRecord,
  type JobStore,
  type NewBulkJob,
} from './jobs.js';
export { ProgramWait, programWaitKey, programWaits, type ProgramWaits } from './program-wait.js';
export { AttachRefusedError } from './documents.js';
