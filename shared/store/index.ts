export * from './errors.js';
export {
  DUE_SHARDS,
  ENTITY,
  Entity,
  INDEX,
  PK,
  SK,
  TTL_ATTRIBUTE,
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
  toItem,
  type Item,
  type OutboxEntry,
  type StoredMilestone,
} from './marshall.js';
export { hashRequest, type IdempotencyLease, type IdempotencyOptions, type IdempotentResult } from './idempotency.js';
export {
  PHASE_STATUS,
  createStore,
  type CommitInput,
  type HistoryOptions,
  type MilestoneStore,
  type OpenByDeadlineOptions,
  type Page,
  type PageOptions,
  type SchoolRecord,
  type SchoolSummary,
  type StoreOptions,
  type SummaryListOptions,
  type TaskTokenInput,
} from './store.js';
export { AttachRefusedError } from './documents.js';
