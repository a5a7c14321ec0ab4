/**
 * The dashboard's calls for evidence documents and the review queue. An upload is three steps: the API
 * issues a presigned POST for the file, the browser sends the file straight to the document store (the
 * API never sees the bytes), and the API confirms it (real type from the first bytes, SHA-256) and
 * attaches it to the milestone's open submission.
 */
import { z } from 'zod';
import { DocumentList, DocumentView, DownloadLink, UploadTicket } from '../../../shared/api/documents.js';
import { ReviewQueue } from '../../../shared/api/administration.js';
import { MAX_DOCUMENT_BYTES } from '../../../shared/documents/model.js';
import type { DocumentContentType } from '../../../shared/program/model.js';
import { ApiError, NETWORK_ERROR, request } from './api.js';

const school = (id: string) => `schools/${encodeURIComponent(id)}`;

export const documentsApi = {
  list: (schoolId: string) => request(DocumentList, `${school(schoolId)}/documents`),
  link: (schoolId: string, documentId: string) => request(DownloadLink, `${school(schoolId)}/documents/${encodeURIComponent(documentId)}`),
  remove: (schoolId: string, documentId: string) =>
    request(z.undefined(), `${school(schoolId)}/documents/${encodeURIComponent(documentId)}`, { method: 'DELETE' }),
  dossier: (schoolId: string) => request(DownloadLink, `${school(schoolId)}/dossier`),
  reviewQueue: () => request(ReviewQueue, 'review-queue'),

  /** Ticket, upload straight to the bucket, confirmation: the attached document, or the API's problem as ApiError. */
  async upload(schoolId: string, milestone: string, type: string, file: File, contentType: DocumentContentType): Promise<DocumentView> {
    const ticket = await request(UploadTicket, `${school(schoolId)}/milestones/${encodeURIComponent(milestone)}/documents/uploads`, {
      method: 'POST',
      body: { type, fileName: file.name, contentType, size: file.size },
    });
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
    form.append('file', file, file.name);
    let posted: Response;
    try {
      posted = await fetch(ticket.url, { method: 'POST', body: form });
    } catch (e) {
      throw new ApiError(NETWORK_ERROR, 'network', (e as Error).message, [], undefined);
    }
    if (!posted.ok) {
      // S3 answers with an XML error (the policy refused the file: too large, another type…).
      const text = await posted.text();
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      throw new ApiError(posted.status, code ?? 'upload refused', /<Message>([^<]+)<\/Message>/.exec(text)?.[1], [], code);
    }
    return request(DocumentView, `${school(schoolId)}/documents/uploads/${encodeURIComponent(ticket.uploadId)}/confirm`, {
      method: 'POST',
    });
  },
};

const BY_EXTENSION: Readonly<Record<string, DocumentContentType>> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

/** The page's own check before anything is sent: a PDF, JPEG or PNG by its type (or name), 1 byte to 20 MB. */
export function checkFile(
  file: Pick<File, 'name' | 'type' | 'size'>,
): { ok: true; contentType: DocumentContentType } | { ok: false; reason: 'type' | 'size' | 'empty' } {
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  const byType = (Object.values(BY_EXTENSION) as string[]).includes(file.type) ? (file.type as DocumentContentType) : undefined;
  const contentType = file.type === '' || file.type === 'application/octet-stream' ? BY_EXTENSION[ext] : byType;
  if (!contentType) return { ok: false, reason: 'type' };
  if (file.size === 0) return { ok: false, reason: 'empty' };
  if (file.size > MAX_DOCUMENT_BYTES) return { ok: false, reason: 'size' };
  return { ok: true, contentType };
}
