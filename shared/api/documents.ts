/** Request and response schemas of the document routes (functions/api/routes/documents.ts). */
import { z } from 'zod';
import { DocumentContentType, DocumentType, Id, IsoInstant, MilestoneKey } from '../program/model.js';
import { FileName, MAX_DOCUMENT_BYTES, Uploader } from '../documents/model.js';

export const UploadRequest = z
  .object({
    type: DocumentType.describe('A document type of the milestone\'s evidence rules, e.g. "work-act"'),
    fileName: FileName,
    contentType: DocumentContentType,
    /** The size the browser reports; over 20 MB is refused before any URL is issued. */
    size: z.number().int().min(1).max(MAX_DOCUMENT_BYTES, `at most ${MAX_DOCUMENT_BYTES} bytes (20 MB)`).optional(),
  })
  .strict();
export type UploadRequest = z.infer<typeof UploadRequest>;

export const UploadTicket = z.object({
  uploadId: Id,
  /** POST a multipart form here: every field of `fields`, then the file as `file`. */
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  expiresAt: IsoInstant,
  maxBytes: z.number().int(),
});
export type UploadTicket = z.infer<typeof UploadTicket>;

export const DocumentView = z.object({
  id: Id,
  schoolId: Id,
  milestone: MilestoneKey,
  type: DocumentType,
  fileName: z.string(),
  contentType: DocumentContentType,
  size: z.number().int(),
  sha256: z.string(),
  uploadedBy: Uploader,
  uploadedAt: IsoInstant,
});
export type DocumentView = z.infer<typeof DocumentView>;

export const DocumentList = z.object({ items: z.array(DocumentView) });
export type DocumentList = z.infer<typeof DocumentList>;

export const DownloadLink = z.object({ url: z.string(), expiresAt: IsoInstant });
export type DownloadLink = z.infer<typeof DownloadLink>;

export const DocumentCheck = z.object({
  id: Id,
  milestone: MilestoneKey,
  type: DocumentType,
  fileName: z.string(),
  /** The hash recorded when the document was confirmed. */
  recorded: z.string(),
  /** The hash of the bytes stored now (null: the object is gone). */
  current: z.string().nullable(),
  /** The hashes the submissions' audit events carry for it. */
  submitted: z.array(z.string()),
  intact: z.boolean(),
});
export type DocumentCheck = z.infer<typeof DocumentCheck>;

export const DocumentVerification = z.object({ checkedAt: IsoInstant, intact: z.boolean(), items: z.array(DocumentCheck) });
export type DocumentVerification = z.infer<typeof DocumentVerification>;

export const DocumentParams = z.object({ schoolId: Id, documentId: Id }).strict();
export const UploadParams = z.object({ schoolId: Id, uploadId: Id }).strict();
export const MilestoneParams = z.object({ schoolId: Id, milestone: MilestoneKey }).strict();
