/**
 * Typed store errors. Each has a stable `code` so an adapter (the API) can map it to a status without
 * `instanceof` across module copies: invalid-cursor, invalid-idempotency-key → 400, version-conflict / idempotency-conflict /
 * idempotency-in-progress / transaction-conflict → 409, corrupt-item → 500.
 */
import type { StoredMilestone } from './marshall.js';

export class StoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An item read back did not match its schema. */
export class CorruptItemError extends StoreError {
  constructor(
    readonly key: string,
    readonly details: string,
  ) {
    super('corrupt-item', `stored item ${key} is invalid: ${details}`);
  }
}

/** A pagination cursor that this store did not issue for this query (tampered, truncated or foreign). */
export class InvalidCursorError extends StoreError {
  constructor(reason: string) {
    super('invalid-cursor', `invalid cursor: ${reason}`);
  }
}

/** The milestone is not at the version the command was decided against (or does not exist: actual null). */
export class VersionConflictError extends StoreError {
  constructor(
    readonly schoolId: string,
    readonly milestone: string,
    readonly expected: number,
    readonly actual: number | null,
  ) {
    super(
      'version-conflict',
      actual === null
        ? `milestone ${schoolId}/${milestone} does not exist`
        : `milestone ${schoolId}/${milestone} is at version ${actual}, not ${expected}`,
    );
  }
}

/**
 * A commit carried a notification whose deterministic id is already in the outbox: it was sent before.
 * The whole commit was cancelled (nothing written); the caller treats the notification as already done.
 */
export class DuplicateNotificationError extends StoreError {
  constructor(readonly ids: string[]) {
    super('duplicate-notification', `notification already in the outbox: ${ids.join(', ')}`);
  }
}

/** DynamoDB kept cancelling the transaction because other transactions held its items; retry later. */
export class TransactionConflictError extends StoreError {
  constructor(what: string) {
    super('transaction-conflict', `${what}: concurrent transactions kept conflicting, try again`);
  }
}

/** The idempotency key was used before with a different request body. */
export class IdempotencyConflictError extends StoreError {
  constructor(
    readonly scope: string,
    readonly key: string,
  ) {
    super('idempotency-conflict', `idempotency key "${key}" (${scope}) was already used with a different request`);
  }
}

/** Another request with the same idempotency key is still running. */
export class IdempotencyInProgressError extends StoreError {
  constructor(
    readonly scope: string,
    readonly key: string,
  ) {
    super('idempotency-in-progress', `a request with idempotency key "${key}" (${scope}) is still in progress`);
  }
}

/** The in-progress marker of an idempotency key is no longer held by this request (its lease expired). */
export class IdempotencyLeaseLostError extends StoreError {
  constructor(
    readonly scope: string,
    readonly key: string,
  ) {
    super('idempotency-lease-lost', `the lease on idempotency key "${key}" (${scope}) was lost`);
  }
}

/** A task token could not be stored: the milestone is not in the state the waiting phase needs. */
export class TaskTokenRejectedError extends StoreError {
  constructor(
    readonly schoolId: string,
    readonly milestone: string,
    reason: string,
    /** The milestone as stored when the token was refused (null: it does not exist), so the caller need not read it. */
    readonly current: StoredMilestone | null = null,
  ) {
    super('task-token-rejected', `cannot store a task token on ${schoolId}/${milestone}: ${reason}`);
  }
}
