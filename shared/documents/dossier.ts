/**
 * A school's dossier for an audit: one ZIP with the school's history as CSV (every audit event, oldest
 * first, with the hashes of the documents each submission carried), a register of the documents
 * (CSV: id, milestone, type, file, size, SHA-256, uploader, time) and every document under
 * `documents/<milestone>/` (the confirmed version where the bucket keeps versions). Built with fflate: documents are stored as they are (PDF, JPEG and PNG are
 * compressed already), the CSV files are deflated.
 */
import { createHash } from 'node:crypto';
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { MilestoneEvent, School } from '../program/model.js';
import { writeCsv } from '../region/csv.js';
import { EXTENSION, type DocumentRecord } from './model.js';

export const HISTORY_COLUMNS = ['at', 'milestone', 'type', 'version', 'actor_role', 'actor', 'details', 'document_hashes'] as const;
export const REGISTER_COLUMNS = [
  'id',
  'milestone',
  'type',
  'file',
  'content_type',
  'size',
  'sha256',
  'uploaded_by',
  'organisation',
  'uploaded_at',
  'zip_path',
  'zip_sha256',
  'intact',
] as const;

function details(e: MilestoneEvent): string {
  const { type: _t, schoolId: _s, milestone: _m, at: _a, actor: _ac, version: _v, ...rest } = e;
  const { documents: _d, ...withoutDocuments } = rest as Record<string, unknown>;
  return JSON.stringify(withoutDocuments);
}

export function historyCsv(events: readonly MilestoneEvent[]): string {
  const rows = events.map((e) => [
    e.at,
    e.milestone,
    e.type,
    String(e.version),
    e.actor.role,
    e.actor.name ?? e.actor.sub,
    details(e),
    e.type === 'submitted' ? (e.documents ?? []).map((d) => `${d.id}:${d.sha256}`).join(' ') : '',
  ]);
  return writeCsv([[...HISTORY_COLUMNS], ...rows], { bom: true });
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The path of a document inside the ZIP. */
export function zipPath(d: DocumentRecord): string {
  return `documents/${d.milestone}/${d.id}-${d.type}.${EXTENSION[d.contentType]}`;
}

/**
 * The register: one row per document with the hash recorded at confirmation and the hash of the bytes
 * in the ZIP; `intact` is false where they differ (the stored object changed after confirmation and the
 * store kept no earlier version to take instead).
 */
export function registerCsv(documents: readonly { record: DocumentRecord; bytes: Uint8Array }[]): string {
  const rows = documents.map(({ record: d, bytes }) => [
    d.id,
    d.milestone,
    d.type,
    d.fileName,
    d.contentType,
    String(d.size),
    d.sha256,
    d.uploadedBy.name ?? d.uploadedBy.sub,
    d.uploadedBy.org ?? '',
    d.uploadedAt,
    zipPath(d),
    sha256Hex(bytes),
    String(sha256Hex(bytes) === d.sha256),
  ]);
  return writeCsv([[...REGISTER_COLUMNS], ...rows], { bom: true });
}

export function buildDossier(
  school: School,
  events: readonly MilestoneEvent[],
  documents: readonly { record: DocumentRecord; bytes: Uint8Array }[],
  now: Date,
): Uint8Array {
  const mtime = now;
  const files: Zippable = {
    'history.csv': [strToU8(historyCsv(events)), { level: 6, mtime }],
    'documents.csv': [strToU8(registerCsv(documents)), { level: 6, mtime }],
    'school.json': [strToU8(JSON.stringify(school, null, 2)), { level: 6, mtime }],
  };
  for (const { record, bytes } of documents) files[zipPath(record)] = [bytes, { level: 0, mtime }];
  return zipSync(files);
}
