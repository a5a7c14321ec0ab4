/**
 * The single-table layout (DESIGN.md §6): every key, index and attribute name in one place. The CDK
 * construct that declares the table reads its names from here, so the table and the code that uses it
 * cannot drift apart.
 *
 * Base table (PK / SK)
 *   SCHOOL#<id>                 PROFILE                              the school, with a `milestone:<key>` summary
 *                                                                    line per stored milestone (marshall.ts)
 *   SCHOOL#<id>                 MILESTONE#<key>                      milestone state, version, waiting task
 *   SCHOOL#<id>                 EVENT#<utc time>#<key>#<version>     append-only audit
 *   SCHOOL#<id>                 SIGNAL#<key>                         the workflow signal a commit owes (outbox; deleted
 *                                                                    once the workflow has it)
 *   SCHOOL#<id>                 PROGRAM                              where the school program waits (its task token)
 *   SCHOOL#<id>                 DOC#<key>#<document id>              an evidence document of a milestone
 *   UPLOAD#<upload id>          UPLOAD                               an upload not yet confirmed (TTL `expiresAt`)
 *   CONTRACTORS                 CONTRACTOR#<id>                      contractors (one partition: listed by Query), `version`
 *   AUDIT#<type>#<id>           <utc time>#<version>                 changes to a contractor or a school profile
 *   OUTBOX#<notification id>    OUTBOX                               a notification (deterministic id = key)
 *   IDEMPOTENCY#<scope>#<key>   IDEMPOTENCY                          idempotency record (TTL `expiresAt`)
 *   PROGRAM#<program id>        VERSION#<version, 8 digits>          a version of the program: a draft, or
 *                                                                    published and then never changed
 *   JOB#<id>                    JOB                                  a bulk or import job: what, for whom, status, counters
 *   JOB#<id>                    ROW#<schoolId>                       an import job's row (the school to create)
 *   JOB#<id>                    RESULT#<schoolId>                    one school's outcome (jobs' items: TTL `expiresAt`)
 *
 * Sparse, overloaded global secondary indexes (all with projection ALL, see the construct for why)
 *   GSI1 "due"      OPEN#<shard>              <deadline>#<school>#<key>   milestones not yet completed/waived
 *                   PENDING#<shard>           <utc created>#<id>          notifications not yet delivered
 *                   SIGNAL#<shard>            <utc at>#<school>#<key>     workflow signals not yet delivered
 *   GSI2 "party"    ASSIGNEE#<contractor>     <deadline>#<school>#<key>   open milestones of a contractor
 *                   INBOX#<recipient>         <utc created>#<id>          notifications of a recipient
 *   GSI3 "schools"  SCHOOLS                   <district>#<school>         every school; a district by prefix
 *
 * `Id` values (schools, districts, contractors) cannot contain `#`, so every prefix above is unambiguous.
 */
import type { MilestoneStatus, Notification } from '../program/model.js';
import { TERMINAL_STATUSES } from '../program/model.js';

export const PK = 'PK';
export const SK = 'SK';
/** What kind of item a row is (stream filters and validation use it). */
export const ENTITY = 'entity';
/** TTL attribute, epoch seconds (idempotency records, jobs and upload intents). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The sort key prefix of a workflow signal (stream filters select its removals by it). */
export const SIGNAL_PREFIX = 'SIGNAL#';

export const Entity = {
  school: 'school',
  milestone: 'milestone',
  event: 'event',
  contractor: 'contractor',
  audit: 'audit',
  notification: 'notification',
  idempotency: 'idempotency',
  signal: 'signal',
  programVersion: 'program-version',
  programWait: 'program-wait',
  job: 'job',
  jobRow: 'job-row',
  jobResult: 'job-result',
  document: 'document',
  upload: 'upload',
} as const;
export type Entity = (typeof Entity)[keyof typeof Entity];

export interface IndexNames {
  readonly name: string;
  readonly pk: string;
  readonly sk: string;
}

export const INDEX = {
  /** Work that falls due: open milestones by deadline, undelivered notifications by creation time. */
  due: { name: 'GSI1', pk: 'GSI1PK', sk: 'GSI1SK' },
  /** What one party has: a contractor's open assignments, a recipient's notifications. */
  party: { name: 'GSI2', pk: 'GSI2PK', sk: 'GSI2SK' },
  /** Schools of the region, ordered by district then id. */
  schools: { name: 'GSI3', pk: 'GSI3PK', sk: 'GSI3SK' },
} as const satisfies Record<string, IndexNames>;

/**
 * The "due" index keys are spread over this many partition keys so that a burst of writes (a bulk action
 * over every school, the morning's reminder wave) never lands on one GSI partition; reads query every shard
 * and merge. Changing it needs a re-write of the GSI1 attributes of every open item.
 */
export const DUE_SHARDS = 8;

export type Key = { PK: string; SK: string };

/** Times inside sort keys are normalised to UTC so that string order is time order. */
export function utc(instant: string): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${instant}`);
  return new Date(ms).toISOString();
}

export const keys = {
  school: (schoolId: string): Key => ({ PK: `SCHOOL#${schoolId}`, SK: 'PROFILE' }),
  schoolPartition: (schoolId: string): string => `SCHOOL#${schoolId}`,
  milestone: (schoolId: string, key: string): Key => ({ PK: `SCHOOL#${schoolId}`, SK: `MILESTONE#${key}` }),
  signal: (schoolId: string, key: string): Key => ({ PK: `SCHOOL#${schoolId}`, SK: `${SIGNAL_PREFIX}${key}` }),
  event: (e: { schoolId: string; milestone: string; at: string; version: number }): Key => ({
    PK: `SCHOOL#${e.schoolId}`,
    SK: `EVENT#${utc(e.at)}#${e.milestone}#${String(e.version).padStart(8, '0')}`,
  }),
  contractor: (id: string): Key => ({ PK: 'CONTRACTORS', SK: `CONTRACTOR#${id}` }),
  contractorPartition: 'CONTRACTORS',
  audit: (e: { subject: { type: string; id: string }; at: string; version: number }): Key => ({
    PK: `AUDIT#${e.subject.type}#${e.subject.id}`,
    SK: `${utc(e.at)}#${String(e.version).padStart(8, '0')}`,
  }),
  auditPartition: (subject: { type: string; id: string }): string => `AUDIT#${subject.type}#${subject.id}`,
  notification: (id: string): Key => ({ PK: `${OUTBOX_PREFIX}${id}`, SK: 'OUTBOX' }),
  idempotency: (scope: string, key: string): Key => ({ PK: `${IDEMPOTENCY_PREFIX}${scope}#${key}`, SK: 'IDEMPOTENCY' }),
  programWait: (schoolId: string): Key => ({ PK: `SCHOOL#${schoolId}`, SK: 'PROGRAM' }),
  job: (id: string): Key => ({ PK: `JOB#${id}`, SK: 'JOB' }),
  jobPartition: (id: string): string => `JOB#${id}`,
  jobRow: (id: string, schoolId: string): Key => ({ PK: `JOB#${id}`, SK: `ROW#${schoolId}` }),
  jobResult: (id: string, schoolId: string): Key => ({ PK: `JOB#${id}`, SK: `RESULT#${schoolId}` }),
  programVersion: (programId: string, version: number): Key => ({
    PK: `PROGRAM#${programId}`,
    SK: `VERSION#${String(version).padStart(8, '0')}`,
  }),
  programPartition: (programId: string): string => `PROGRAM#${programId}`,
  document: (schoolId: string, milestone: string, id: string): Key => ({ PK: `SCHOOL#${schoolId}`, SK: `DOC#${milestone}#${id}` }),
  /** Sort-key prefix of a school's documents, or of one milestone's. */
  documentPrefix: (milestone?: string): string => (milestone ? `DOC#${milestone}#` : 'DOC#'),
  upload: (uploadId: string): Key => ({ PK: `UPLOAD#${uploadId}`, SK: 'UPLOAD' }),
} as const;

/** The partition prefix of outbox notifications (IAM conditions restrict the dispatcher to it). */
export const OUTBOX_PREFIX = 'OUTBOX#';
/** The partition prefix of idempotency records (IAM conditions restrict the daily sweep's writes to it). */
export const IDEMPOTENCY_PREFIX = 'IDEMPOTENCY#';

/** The key attributes of a stream record or an item, as DynamoDB gives them. */
type KeyAttributes = Record<string, { S?: string } | undefined> | undefined;

/** What an item's key names: a notification's id, a workflow signal's milestone; null for anything else. */
export const keyOf = {
  notification(k: KeyAttributes): string | null {
    const pk = k?.[PK]?.S ?? '';
    const id = pk.startsWith(OUTBOX_PREFIX) ? pk.slice(OUTBOX_PREFIX.length) : '';
    return id !== '' && k?.[SK]?.S === 'OUTBOX' ? id : null;
  },
  signal(k: KeyAttributes): { schoolId: string; milestone: string } | null {
    const pk = /^SCHOOL#([^#]+)$/.exec(k?.[PK]?.S ?? '');
    const sk = k?.[SK]?.S ?? '';
    const milestone = sk.startsWith(SIGNAL_PREFIX) ? sk.slice(SIGNAL_PREFIX.length) : '';
    return pk && milestone !== '' && !milestone.includes('#') ? { schoolId: pk[1]!, milestone } : null;
  },
};

/** Sort key prefixes inside a job's partition. */
export const JOB_SK = { header: 'JOB', row: 'ROW#', result: 'RESULT#' } as const;

/** FNV-1a, 32 bit: a stable, cheap hash for picking a shard. */
export function shardOf(value: string, shards = DUE_SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export const duePartitions = {
  open: (shard: number): string => `OPEN#${shard}`,
  pending: (shard: number): string => `PENDING#${shard}`,
  signals: (shard: number): string => `SIGNAL#${shard}`,
};

/** A pending signal's place in "due": spread over the shards, oldest first within one. */
export function signalIndexAttrs(s: { schoolId: string; milestone: string; at: string }): IndexAttrs {
  return {
    [INDEX.due.pk]: duePartitions.signals(shardOf(`${s.schoolId}#${s.milestone}`)),
    [INDEX.due.sk]: `${utc(s.at)}#${s.schoolId}#${s.milestone}`,
  };
}

export function isOpen(status: MilestoneStatus): boolean {
  return !TERMINAL_STATUSES.includes(status);
}

type IndexAttrs = Record<string, string>;

interface MilestoneIndexInput {
  schoolId: string;
  key: string;
  status: MilestoneStatus;
  deadline: string;
  assignee: string | null;
}

const deadlineSortKey = (m: MilestoneIndexInput): string => `${m.deadline}#${m.schoolId}#${m.key}`;

/**
 * The index attributes a milestone item carries for its status: open milestones are in "due" and, when
 * assigned, in "party"; completed and waived ones are in neither (`remove` lists what to drop).
 */
export function milestoneIndexAttrs(m: MilestoneIndexInput): { set: IndexAttrs; remove: string[] } {
  const set: IndexAttrs = {};
  const remove: string[] = [];
  if (isOpen(m.status)) {
    set[INDEX.due.pk] = duePartitions.open(shardOf(`${m.schoolId}#${m.key}`));
    set[INDEX.due.sk] = deadlineSortKey(m);
  } else {
    remove.push(INDEX.due.pk, INDEX.due.sk);
  }
  if (isOpen(m.status) && m.assignee !== null) {
    set[INDEX.party.pk] = assigneePartition(m.assignee);
    set[INDEX.party.sk] = deadlineSortKey(m);
  } else {
    remove.push(INDEX.party.pk, INDEX.party.sk);
  }
  return { set, remove };
}

export const assigneePartition = (contractorId: string): string => `ASSIGNEE#${contractorId}`;

export const SCHOOLS_PARTITION = 'SCHOOLS';
export function schoolIndexAttrs(school: { id: string; district: string }): IndexAttrs {
  return { [INDEX.schools.pk]: SCHOOLS_PARTITION, [INDEX.schools.sk]: `${school.district}#${school.id}` };
}

export type Recipient = Notification['recipient'];

export function recipientKey(r: Recipient): string {
  switch (r.type) {
    case 'contractor':
      return `contractor#${r.org}`;
    case 'district-coordinator':
      return `district-coordinator#${r.district}`;
    case 'program-manager':
      return 'program-manager';
    case 'viewer':
      return 'viewer';
  }
}

export const inboxPartition = (r: Recipient): string => `INBOX#${recipientKey(r)}`;

export function notificationIndexAttrs(n: Notification, pending: boolean): IndexAttrs {
  const sortKey = `${utc(n.createdAt)}#${n.id}`;
  const attrs: IndexAttrs = { [INDEX.party.pk]: inboxPartition(n.recipient), [INDEX.party.sk]: sortKey };
  if (pending) {
    attrs[INDEX.due.pk] = duePartitions.pending(shardOf(n.id));
    attrs[INDEX.due.sk] = sortKey;
  }
  return attrs;
}
