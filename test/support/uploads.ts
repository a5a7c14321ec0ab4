/**
 * A client's document upload, the way the dashboard does it: ask the API for a presigned POST, send the
 * form straight to the S3 server, confirm with the API. Free of vitest and of the stack, so the API
 * tests and the API benchmarks' setup share it.
 */
import type { MilestoneDefinition } from '../../shared/program/model.js';
import { samplePdf } from '../../shared/documents/samples.js';

/** An answer of the API as the callers here need it. */
export interface JsonAnswer {
  status: number;
  text: string;
  json: any;
}

/** A POST to the API as one caller (the caller's token bound in). */
export type PostAs<R extends JsonAnswer> = (path: string, body?: unknown) => Promise<R>;

/** A file for an upload: its bytes, the declared type and the name it is sent under. */
export interface UploadFile {
  bytes: Uint8Array;
  contentType: 'application/pdf' | 'image/jpeg' | 'image/png';
  fileName: string;
  /** The size declared when the upload is requested (default: none). */
  declaredSize?: number;
}

export interface UploadResult<R extends JsonAnswer> {
  ticket: R;
  /** The status the S3 server answered the POST with (null when no ticket was issued). */
  post: number | null;
  confirm: R | null;
}

/** Uploads one document: the ticket, the POST to the bucket, the confirmation. */
export async function uploadAs<R extends JsonAnswer>(
  post: PostAs<R>,
  schoolId: string,
  milestone: string,
  type: string,
  file: UploadFile,
): Promise<UploadResult<R>> {
  const ticket = await post(`/api/schools/${schoolId}/milestones/${milestone}/documents/uploads`, {
    type,
    fileName: file.fileName,
    contentType: file.contentType,
    ...(file.declaredSize !== undefined ? { size: file.declaredSize } : {}),
  });
  if (ticket.status !== 201) return { ticket, post: null, confirm: null };
  const form = new FormData();
  for (const [k, v] of Object.entries(ticket.json.fields as Record<string, string>)) form.append(k, v);
  form.append('file', new Blob([Buffer.from(file.bytes)], { type: file.contentType }), file.fileName);
  const posted = await fetch(ticket.json.url as string, { method: 'POST', body: form });
  await posted.arrayBuffer();
  const confirm = await post(`/api/schools/${schoolId}/documents/uploads/${ticket.json.uploadId as string}/confirm`);
  return { ticket, post: posted.status, confirm };
}

/** Uploads a generated PDF of each type the milestone's evidence requires (what a submission needs); throws on a refusal. */
export async function uploadRequiredDocumentsAs<R extends JsonAnswer>(
  post: PostAs<R>,
  def: MilestoneDefinition,
  schoolId: string,
): Promise<void> {
  for (const rule of def.documents.filter((r) => r.required)) {
    const bytes = samplePdf([rule.title.en, `${schoolId} / ${def.key}`]);
    const r = await uploadAs(post, schoolId, def.key, rule.type, { bytes, contentType: 'application/pdf', fileName: `${rule.type}.pdf` });
    if (r.confirm?.status !== 201)
      throw new Error(`upload of ${rule.type} failed: ${r.ticket.status} ${r.ticket.text} ${r.confirm?.text ?? ''}`);
  }
}
