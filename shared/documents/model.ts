/**
 * Evidence documents: what is stored about a file (the record), what an upload in progress is (the
 * intent), and the rules a file must meet: at most 20 MB, and a PDF, JPEG or PNG by its first bytes, not
 * by its name. Pure: no I/O.
 */
import { z } from 'zod';
import { DocumentContentType, DocumentRef, DocumentType, Id, IsoInstant, MilestoneKey, Role, type Actor } from '../program/model.js';

/** The largest document accepted: 20 MB. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** How long an upload URL and its intent are valid. */
export const UPLOAD_TTL_SECONDS = 15 * 60;
/** How long a presigned download link is valid. */
export const DOWNLOAD_TTL_SECONDS = 5 * 60;

/** Where objects live in the bucket: unconfirmed uploads expire (a lifecycle rule); documents stay. */
export const PREFIX = { incoming: 'incoming/', documents: 'documents/', dossiers: 'dossiers/' } as const;

export const EXTENSION: Readonly<Record<DocumentContentType, string>> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
};

/** The signatures (magic numbers) at the start of each accepted file type. */
const SIGNATURES: readonly { type: DocumentContentType; bytes: readonly number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

/** How many leading bytes `sniffContentType` needs. */
export const SNIFF_BYTES = 8;

/** The file's real type from its first bytes, or null when it is none of the accepted ones. */
export function sniffContentType(head: Uint8Array): DocumentContentType | null {
  for (const { type, bytes } of SIGNATURES) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return type;
  }
  return null;
}

/** Who uploaded a document (from the token). */
export const Uploader = z.object({ sub: z.string().min(1), role: Role, org: Id.nullable(), name: z.string().optional() }).strict();
export type Uploader = z.infer<typeof Uploader>;

/** A file name as shown and as given in the download's Content-Disposition: no paths, no control characters. */
export const FileName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(
    (s) => ![...s].some((c) => c === '/' || c === '\\' || c === '"' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    'no slashes, quotes or control characters',
  );

/** A stored document, attached to a milestone of a school. */
export const DocumentRecord = DocumentRef.extend({
  schoolId: Id,
  milestone: MilestoneKey,
  fileName: FileName,
  uploadedBy: Uploader,
  uploadedAt: IsoInstant,
  /** The object's key in the bucket. */
  key: z.string().min(1),
  /** The object version, where the bucket keeps versions. */
  versionId: z.string().min(1).nullable(),
}).strict();
export type DocumentRecord = z.infer<typeof DocumentRecord>;

/** An upload the API has issued a URL for and not yet confirmed. */
export const UploadIntent = z
  .object({
    uploadId: Id,
    schoolId: Id,
    milestone: MilestoneKey,
    type: DocumentType,
    fileName: FileName,
    /** The type the uploader declared (bound into the upload policy); the bytes must agree. */
    contentType: DocumentContentType,
    uploadedBy: Uploader,
    createdAt: IsoInstant,
    /** The object's key under `incoming/`. */
    key: z.string().min(1),
  })
  .strict();
export type UploadIntent = z.infer<typeof UploadIntent>;

export const incomingKey = (schoolId: string, uploadId: string): string => `${PREFIX.incoming}${schoolId}/${uploadId}`;
export const documentKey = (schoolId: string, milestone: string, id: string, contentType: DocumentContentType): string =>
  `${PREFIX.documents}${schoolId}/${milestone}/${id}.${EXTENSION[contentType]}`;

/** The reference a submission carries. */
export function refOf(d: DocumentRecord): DocumentRef {
  return { id: d.id, type: d.type, contentType: d.contentType, size: d.size, sha256: d.sha256 };
}

/** The uploader of a signed-in actor: its organisation is the contractor's org (a school's staff: the school id). */
export function uploaderOf(actor: Actor): Uploader {
  const org = actor.role === 'contractor' ? actor.org : actor.role === 'school-staff' ? actor.school : null;
  return Uploader.parse({ sub: actor.sub, role: actor.role, org, ...(actor.name ? { name: actor.name } : {}) });
}
