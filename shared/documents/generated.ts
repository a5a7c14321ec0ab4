/**
 * Generated evidence for the demo region and the simulation: one small document of each type a
 * milestone's evidence rules require (a PDF) and a photo (a PNG) where the rules name one, put in the
 * bucket (when there is one) and attached like a confirmed upload. Deterministic: ids, bytes and hashes
 * depend only on the school, the milestone and the time given.
 */
import { createHash } from 'node:crypto';
import type { Actor, DocumentContentType, MilestoneDefinition, School } from '../program/model.js';
import type { MilestoneStore } from '../store/store.js';
import { documentKey, uploaderOf, type DocumentRecord } from './model.js';
import { samplePdf, samplePng } from './samples.js';
import { putBytes, type DocumentBucket } from './storage.js';

function bytesFor(
  type: string,
  contentType: DocumentContentType,
  def: MilestoneDefinition,
  school: School,
  title: string,
  at: Date,
): Uint8Array {
  if (contentType === 'image/png') {
    const h = createHash('sha256').update(`${school.id}:${def.key}:${type}`).digest();
    return samplePng(96, 64, [h[0]!, h[1]!, h[2]!]);
  }
  return samplePdf([title, `School: ${school.id}`, `Milestone: ${def.key}`, `Date: ${at.toISOString().slice(0, 10)}`]);
}

/** Attaches the generated documents the milestone has none of yet, in one transaction; the records written. */
export async function attachGeneratedDocuments(
  deps: { store: MilestoneStore; bucket: DocumentBucket | null },
  def: MilestoneDefinition,
  school: School,
  actor: Actor,
  at: Date,
): Promise<DocumentRecord[]> {
  const existing = new Set((await deps.store.listDocuments(school.id, def.key)).map((d) => d.type));
  const written: DocumentRecord[] = [];
  for (const rule of def.documents.filter((r) => (r.required || r.type === 'photo') && !existing.has(r.type))) {
    const contentType: DocumentContentType = rule.type === 'photo' ? 'image/png' : 'application/pdf';
    const bytes = bytesFor(rule.type, contentType, def, school, rule.title.en, at);
    const id = `g-${createHash('sha256').update(`${school.id}/${def.key}/${rule.type}`).digest('hex').slice(0, 24)}`;
    const key = documentKey(school.id, def.key, id, contentType);
    const versionId = deps.bucket ? await putBytes(deps.bucket, key, bytes, contentType) : null;
    const record: DocumentRecord = {
      id,
      type: rule.type,
      contentType,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      schoolId: school.id,
      milestone: def.key,
      fileName: `${rule.type}.${contentType === 'image/png' ? 'png' : 'pdf'}`,
      uploadedBy: uploaderOf(actor),
      uploadedAt: at.toISOString(),
      key,
      versionId,
    };
    written.push(record);
  }
  // One transaction for all of them (the milestone checked once), instead of one per document.
  await deps.store.attachDocuments(written);
  return written;
}
