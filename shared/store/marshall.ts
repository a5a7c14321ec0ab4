/**
 * Marshalling: plain JSON values ↔ DynamoDB AttributeValues, and each entity ↔ its item. Entity fields
 * are stored as top-level attributes (readable in the console, usable in filters and stream filters);
 * key, index and bookkeeping attributes sit beside them and are stripped before the zod check on read.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { AdminEvent, Contractor, DocumentRef, IsoInstant, MilestoneEvent, MilestoneState, Notification, School } from '../program/model.js';
import { ProgramVersion } from '../program/versions.js';
import { DocumentRecord, UploadIntent } from '../documents/model.js';
import { CorruptItemError } from './errors.js';
import {
  ENTITY,
  Entity,
  INDEX,
  PK,
  SK,
  TTL_ATTRIBUTE,
  keys,
  milestoneIndexAttrs,
  notificationIndexAttrs,
  schoolIndexAttrs,
  signalIndexAttrs,
} from './keys.js';

export type Item = Record<string, AttributeValue>;
type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

// ---------- values ----------

export function toAttr(value: unknown, path = 'value'): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'boolean':
      return { BOOL: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: cannot store ${value}`);
      return { N: String(value) };
    case 'object': {
      if (Array.isArray(value)) return { L: value.map((v, i) => toAttr(v, `${path}[${i}]`)) };
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: only plain objects can be stored`);
      return { M: toItem(value as Record<string, unknown>, path) };
    }
    default:
      throw new TypeError(`${path}: cannot store a ${typeof value}`);
  }
}

/** An object as an item; `undefined` properties are left out. */
export function toItem(value: Record<string, unknown>, path = 'item'): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toAttr(v, `${path}.${k}`);
  return out;
}

export function fromAttr(av: AttributeValue, path = 'value'): Json {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) {
    const n = Number(av.N);
    if (!Number.isFinite(n)) throw new TypeError(`${path}: number ${av.N} out of range`);
    return n;
  }
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.L !== undefined) return av.L.map((v, i) => fromAttr(v, `${path}[${i}]`));
  if (av.M !== undefined) return fromItem(av.M, path);
  throw new TypeError(`${path}: unsupported attribute type ${Object.keys(av).join(',')}`);
}

export function fromItem(item: Item, path = 'item'): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromAttr(v, `${path}.${k}`);
  return out;
}

/** `PK / SK` of an item, for messages. */
export function describeKey(item: Item): string {
  return `${item[PK]?.S ?? '?'} / ${item[SK]?.S ?? '?'}`;
}

// ---------- entities ----------

/** What a workflow execution waits for on a milestone (DESIGN.md §5). */
export const TaskPhase = z.enum(['submission', 'acceptance', 'resume']);
export type TaskPhase = z.infer<typeof TaskPhase>;

/** The task token and execution of the workflow step waiting on a milestone. */
export const WaitingTask = z
  .object({
    token: z.string().min(1),
    executionArn: z.string().min(1),
    phase: TaskPhase,
    since: IsoInstant,
    /** The milestone version the workflow had read when it started waiting (absent on items stored before it was recorded). */
    version: z.number().int().min(0).optional(),
  })
  .strict();
export type WaitingTask = z.infer<typeof WaitingTask>;

export interface StoredMilestone {
  state: MilestoneState;
  task: WaitingTask | null;
  /**
   * The documents attached to the milestone, as the item lists them (one `doc:<id>` attribute each,
   * oldest id first, as the milestone's `DOC#` items sort); undefined when the item does not list them
   * (documents attached before the items listed them): then the `DOC#` items are the only list.
   */
  documents?: DocumentRef[];
}

/**
 * A milestone item lists its attached documents: each as a `doc:<id>` attribute (the document's ref),
 * written and removed in the same transaction as its `DOC#` item. The marker says the list is complete;
 * an item without it (documents attached before items listed them) is read from its `DOC#` items.
 */
export const DOCUMENT_ATTR_PREFIX = 'doc:';
export const DOCUMENTS_LISTED = 'documentsListed';
export const documentAttribute = (id: string): string => `${DOCUMENT_ATTR_PREFIX}${id}`;

export const Delivery = z.enum(['pending', 'delivered']);

export interface OutboxEntry {
  notification: Notification;
  /** When the notification reached every destination; null while any is left. */
  deliveredAt: string | null;
  /** The destinations (e-mail addresses, the topic, the log) it has reached so far, each recorded as it was sent. */
  deliveredTo: string[];
}

export const TASK_ATTRS = {
  token: 'taskToken',
  executionArn: 'taskExecutionArn',
  phase: 'taskPhase',
  since: 'taskSince',
  version: 'taskVersion',
} as const;
export const DELIVERY = 'delivery';
export const DELIVERED_AT = 'deliveredAt';
export const DELIVERED_TO = 'deliveredTo';

const INDEX_ATTRS = Object.values(INDEX).flatMap((i) => [i.pk, i.sk]);
const META = new Set([PK, SK, ENTITY, ...INDEX_ATTRS]);

function split(
  item: Item,
  entity: Entity,
  extraMeta: readonly string[] | ((attribute: string) => boolean) = [],
): { fields: Record<string, Json>; meta: Record<string, Json> } {
  const isExtra = typeof extraMeta === 'function' ? extraMeta : (k: string) => extraMeta.includes(k);
  const key = describeKey(item);
  let plain: Record<string, Json>;
  try {
    plain = fromItem(item);
  } catch (e) {
    throw new CorruptItemError(key, (e as Error).message);
  }
  if (plain[ENTITY] !== entity)
    throw new CorruptItemError(key, `expected a ${entity} item, found ${JSON.stringify(plain[ENTITY] ?? null)}`);
  const fields: Record<string, Json> = {};
  const meta: Record<string, Json> = {};
  for (const [k, v] of Object.entries(plain)) {
    if (META.has(k) || isExtra(k)) meta[k] = v;
    else fields[k] = v;
  }
  return { fields, meta };
}

function check<S extends z.ZodType>(schema: S, value: unknown, item: Item): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new CorruptItemError(describeKey(item), details);
  }
  return result.data;
}

export function schoolToItem(school: School): Item {
  return toItem({ ...keys.school(school.id), [ENTITY]: Entity.school, ...schoolIndexAttrs(school), ...school });
}

/** The profile's own version (If-Match of a profile edit); absent until the first edit, which makes it 1. */
export const PROFILE_VERSION = 'profileVersion';
const isProfileMeta = (attribute: string): boolean => attribute === PROFILE_VERSION || isSummaryAttribute(attribute);

export function schoolFromItem(item: Item): School {
  return check(School, split(item, Entity.school, isProfileMeta).fields, item);
}

/** The profile and its version. */
export function schoolVersionFromItem(item: Item): { school: School; version: number } {
  const { fields, meta } = split(item, Entity.school, isProfileMeta);
  return { school: check(School, fields, item), version: typeof meta[PROFILE_VERSION] === 'number' ? meta[PROFILE_VERSION] : 0 };
}

/**
 * The school's milestone summary, on its profile item: one attribute `milestone:<key>` per stored
 * milestone with what a school list and the progress report show. The commit that changes a milestone
 * writes its line in the same transaction, and initMilestones writes the line of the item it creates, so
 * a line that is there is the milestone's current one. A line can be missing (a profile written again, an
 * item stored before lines existed): readers then read the milestone item itself.
 */
export const SUMMARY_PREFIX = 'milestone:';

export const MilestoneLine = MilestoneState.pick({
  key: true,
  status: true,
  assignee: true,
  deadline: true,
  version: true,
  closedAt: true,
}).strict();
export type MilestoneLine = z.infer<typeof MilestoneLine>;

export function isSummaryAttribute(attribute: string): boolean {
  return attribute.startsWith(SUMMARY_PREFIX);
}

export function summaryAttribute(key: string): string {
  return `${SUMMARY_PREFIX}${key}`;
}

export function lineOf(state: MilestoneState): MilestoneLine {
  return {
    key: state.key,
    status: state.status,
    assignee: state.assignee,
    deadline: state.deadline,
    version: state.version,
    closedAt: state.closedAt,
  };
}

/** A profile item with its summary lines, by milestone key. */
export function schoolSummaryFromItem(item: Item): { school: School; lines: Map<string, MilestoneLine> } {
  const { fields, meta } = split(item, Entity.school, isProfileMeta);
  const school = check(School, fields, item);
  const lines = new Map<string, MilestoneLine>();
  for (const [attribute, value] of Object.entries(meta)) {
    if (!isSummaryAttribute(attribute)) continue;
    const line = check(MilestoneLine, value, item);
    if (line.key !== attribute.slice(SUMMARY_PREFIX.length))
      throw new CorruptItemError(describeKey(item), `${attribute} holds the line of ${line.key}`);
    lines.set(line.key, line);
  }
  return { school, lines };
}

/** A new milestone item (used by initMilestones; commits update the item in place). */
export function milestoneToItem(state: MilestoneState): Item {
  return toItem({ ...keys.milestone(state.schoolId, state.key), [ENTITY]: Entity.milestone, ...milestoneIndexAttrs(state).set, ...state });
}

const taskAttrs: readonly string[] = Object.values(TASK_ATTRS);
const milestoneMeta = (k: string): boolean => taskAttrs.includes(k) || k === DOCUMENTS_LISTED || k.startsWith(DOCUMENT_ATTR_PREFIX);

export function milestoneFromItem(item: Item): StoredMilestone {
  const { fields, meta } = split(item, Entity.milestone, milestoneMeta);
  const state = check(MilestoneState, fields, item);
  const hasTask = meta[TASK_ATTRS.token] !== undefined;
  const task = hasTask
    ? check(
        WaitingTask,
        {
          token: meta[TASK_ATTRS.token],
          executionArn: meta[TASK_ATTRS.executionArn],
          phase: meta[TASK_ATTRS.phase],
          since: meta[TASK_ATTRS.since],
          ...(meta[TASK_ATTRS.version] !== undefined ? { version: meta[TASK_ATTRS.version] } : {}),
        },
        item,
      )
    : null;
  if (meta[DOCUMENTS_LISTED] !== true) return { state, task };
  const documents = Object.entries(meta)
    .filter(([k]) => k.startsWith(DOCUMENT_ATTR_PREFIX))
    .map(([, v]) => check(DocumentRef, v, item))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { state, task, documents };
}

export function eventToItem(event: MilestoneEvent): Item {
  return toItem({ ...keys.event(event), [ENTITY]: Entity.event, ...event });
}

export function eventFromItem(item: Item): MilestoneEvent {
  return check(MilestoneEvent, split(item, Entity.event).fields, item);
}

export function contractorToItem(contractor: Contractor, version = 1): Item {
  return toItem({ ...keys.contractor(contractor.id), [ENTITY]: Entity.contractor, ...contractor, version });
}

export function contractorFromItem(item: Item): Contractor {
  return contractorRecordFromItem(item).contractor;
}

/** A contractor and the version of its record (items written before contractors had versions are version 1). */
export function contractorRecordFromItem(item: Item): { contractor: Contractor; version: number } {
  const { fields, meta } = split(item, Entity.contractor, ['version']);
  // Records from before contracts and contact lists: one optional `email`.
  const { email, ...rest } = fields;
  const upgraded = typeof email === 'string' && rest['emails'] === undefined ? { ...rest, emails: [email] } : fields;
  return { contractor: check(Contractor, upgraded, item), version: typeof meta['version'] === 'number' ? meta['version'] : 1 };
}

export function auditToItem(event: AdminEvent): Item {
  return toItem({ ...keys.audit(event), [ENTITY]: Entity.audit, ...event });
}

export function auditFromItem(item: Item): AdminEvent {
  return check(AdminEvent, split(item, Entity.audit).fields, item);
}

/** A program version: its definition kept as JSON text, so that a draft being edited may hold anything. */
export function programVersionToItem(v: ProgramVersion): Item {
  const { definition, ...rest } = v;
  return toItem({
    ...keys.programVersion(v.programId, v.version),
    [ENTITY]: Entity.programVersion,
    ...rest,
    definitionJson: JSON.stringify(definition),
  });
}

export function programVersionFromItem(item: Item): ProgramVersion {
  const { definitionJson, ...fields } = split(item, Entity.programVersion).fields;
  let definition: unknown;
  try {
    definition = JSON.parse(String(definitionJson));
  } catch (e) {
    throw new CorruptItemError(describeKey(item), `definitionJson: ${(e as Error).message}`);
  }
  return check(ProgramVersion, { ...fields, definition }, item);
}

const ProgramVersionStatusLine = ProgramVersion.pick({ version: true, status: true }).strict();

/** A version item read with only its number and status projected (`listProgramVersionStatuses`). */
export function programVersionStatusFromItem(item: Item): z.infer<typeof ProgramVersionStatusLine> {
  return check(ProgramVersionStatusLine, split(item, Entity.programVersion).fields, item);
}

/** A new, undelivered outbox item: in the pending shard of "due" and in the recipient's inbox. */
export function notificationToItem(n: Notification): Item {
  return toItem({
    ...keys.notification(n.id),
    [ENTITY]: Entity.notification,
    ...notificationIndexAttrs(n, true),
    [DELIVERY]: 'pending',
    [DELIVERED_AT]: null,
    ...n,
  });
}

const outboxMeta = z.object({
  [DELIVERY]: Delivery,
  [DELIVERED_AT]: IsoInstant.nullable(),
  // Absent until the first destination is recorded.
  [DELIVERED_TO]: z.array(z.string().min(1)).default([]),
});

/** An outbox item, from the table or from a stream record's NewImage. */
export function notificationFromItem(item: Item): OutboxEntry {
  const { fields, meta } = split(item, Entity.notification, [DELIVERY, DELIVERED_AT, DELIVERED_TO]);
  const notification = check(Notification, fields, item);
  const m = check(outboxMeta, meta, item);
  return { notification, deliveredAt: m[DELIVERED_AT], deliveredTo: [...new Set(m[DELIVERED_TO])] };
}

/**
 * A milestone as last committed, as its sender knows it, and the program version of its school then:
 * handed to the lifecycle's `Refresh` (by a command's signal, a refused wait, or `Plan` starting the
 * lifecycle) so that it starts from it instead of reading the school again. A commit after it changes
 * the version, which the lifecycle's wait is conditional on, so a step that started from an older state
 * reads the stored one at once.
 */
export const CommittedMilestone = z.object({ state: MilestoneState, programVersion: z.number().int().min(1) }).strict();
export type CommittedMilestone = z.infer<typeof CommittedMilestone>;

/**
 * The signal a committed command owes the school's workflow (DESIGN.md §3.1): written in the same
 * transaction as the state change, deleted once the workflow has it. One per milestone: a later commit
 * replaces it (the workflow only ever needs to hear of the latest state).
 */
export const PendingSignal = z
  .object({
    schoolId: z.string().min(1),
    milestone: z.string().min(1),
    /** The milestone version the signal reports. */
    version: z.number().int().min(1),
    /** The last event the command committed. */
    event: z.string().min(1),
    status: z.string().min(1),
    /** When it was committed. */
    at: IsoInstant,
    /**
     * The workflow step that was waiting on the milestone when the command read it (absent: none was, or
     * the signal was written before signals carried it): its token is signalled without reading the
     * milestone again.
     */
    task: WaitingTask.optional(),
    /**
     * The commit took the task's token off the milestone item in the same write (signals written before
     * commits did, or whose token had changed, lack it): the signal is the token's only holder, and
     * whoever delivers it has no token to clear.
     */
    taskTaken: z.literal(true).optional(),
    /** The milestone as the command committed it (at `version`), and the program version it was decided against. */
    committed: CommittedMilestone.optional(),
  })
  .strict();
export type PendingSignal = z.infer<typeof PendingSignal>;

export function signalToItem(signal: PendingSignal): Item {
  return toItem({ ...keys.signal(signal.schoolId, signal.milestone), [ENTITY]: Entity.signal, ...signalIndexAttrs(signal), ...signal });
}

/** A signal item, from the table or from a stream record's NewImage. */
export function signalFromItem(item: Item): PendingSignal {
  return check(PendingSignal, split(item, Entity.signal).fields, item);
}

export function documentToItem(d: DocumentRecord): Item {
  return toItem({ ...keys.document(d.schoolId, d.milestone, d.id), [ENTITY]: Entity.document, ...d });
}

export function documentFromItem(item: Item): DocumentRecord {
  return check(DocumentRecord, split(item, Entity.document).fields, item);
}

/** An upload intent, removed by the table's TTL once `expiresAt` (epoch seconds) passed. */
export function uploadToItem(u: UploadIntent, expiresAt: number): Item {
  return toItem({ ...keys.upload(u.uploadId), [ENTITY]: Entity.upload, [TTL_ATTRIBUTE]: expiresAt, ...u });
}

export function uploadFromItem(item: Item): UploadIntent {
  return check(UploadIntent, split(item, Entity.upload, [TTL_ATTRIBUTE]).fields, item);
}
