/**
 * Evidence documents of a school's milestones (issue: documents in S3):
 *
 *   POST /schools/{id}/milestones/{key}/documents/uploads   a presigned POST for one file (type, size ≤ 20 MB and
 *                                                           Content-Type bound into the policy), and an upload intent
 *   POST /schools/{id}/documents/uploads/{uploadId}/confirm checks the stored object (size, real type from its first
 *                                                           bytes, SHA-256) and attaches it to the open submission
 *   GET  /schools/{id}/documents                            the documents the caller may see, with their hashes
 *   GET  /schools/{id}/documents/{documentId}               a short-lived link to the document (the confirmed version)
 *   DELETE /schools/{id}/documents/{documentId}             removes a document from the open submission, unless a
 *                                                           submission already carried it
 *   GET  /schools/{id}/documents/verify                     the hash check: stored bytes against the recorded hashes
 *   GET  /schools/{id}/dossier                              a link to the school's dossier (ZIP: history CSV + documents)
 *
 * The bytes never pass through the API except for the hash check and the dossier. Who may do what is in
 * shared/documents/access.ts. A refused upload leaves nothing: the object is deleted, the intent too, and
 * no document is written.
 */
import { randomBytes } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { NoSuchKey } from '@aws-sdk/client-s3';
import {
  DocumentList,
  DocumentParams,
  DocumentVerification,
  DocumentView,
  DownloadLink,
  MilestoneParams,
  UploadParams,
  UploadRequest,
  UploadTicket,
  type DocumentCheck,
} from '../../../shared/api/documents.js';
import { SchoolParams } from '../../../shared/api/schemas.js';
import {
  mayDownloadDossier,
  mayListDocuments,
  mayReadDocument,
  mayRemoveDocument,
  mayUpload,
  type Access,
} from '../../../shared/documents/access.js';
import { buildDossier } from '../../../shared/documents/dossier.js';
import {
  DOWNLOAD_TTL_SECONDS,
  PREFIX,
  UPLOAD_TTL_SECONDS,
  documentKey,
  incomingKey,
  uploaderOf,
  type DocumentRecord,
} from '../../../shared/documents/model.js';
import {
  discard,
  hashObject,
  inspectUpload,
  presignDownload,
  presignUpload,
  promote,
  putBytes,
  readObject,
  type DocumentBucket,
} from '../../../shared/documents/storage.js';
import type { Actor, MilestoneEvent, School } from '../../../shared/program/model.js';
import { AttachRefusedError } from '../../../shared/store/documents.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { milestoneStates } from '../views.js';
import { COMMON_ERRORS, forbidden, notFound, problem, router, security, type RouteContext } from './common.js';

/** Time-ordered, unguessable ids for uploads and documents. */
function newId(now: Date): string {
  return `${now.getTime().toString(36)}-${randomBytes(8).toString('hex')}`;
}

function allow(access: Access): void {
  if (!access.ok) throw forbidden(access.reason);
}

export function toDocumentView(d: DocumentRecord): DocumentView {
  const { key: _key, versionId: _version, ...view } = d;
  return view;
}

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

export function documentRoutes({ deps, reads, now }: RouteContext) {
  const { store, program } = deps;
  const app = router();
  const bucket = (): DocumentBucket => {
    if (!deps.documents)
      throw new ApiProblem(503, 'Evidence documents are not configured on this deployment (no DOCUMENT_BUCKET).', {
        type: PROBLEM_TYPES.unavailable,
      });
    return deps.documents;
  };

  /** The school's documents the actor may read (403 when it may read none of the school's). */
  async function readable(actor: Actor, schoolId: string): Promise<DocumentRecord[]> {
    const school = await reads.profile(schoolId);
    allow(mayListDocuments(actor, school));
    return (await store.listDocuments(schoolId)).filter((d) => mayReadDocument(actor, school, d).ok);
  }

  /** One document the actor may read (403 otherwise, 404 when there is none). */
  async function readableDocument(
    actor: Actor,
    schoolId: string,
    documentId: string,
  ): Promise<{ school: School; document: DocumentRecord }> {
    const school = await reads.profile(schoolId);
    allow(mayListDocuments(actor, school));
    const document = await store.getDocument(schoolId, documentId);
    if (!document) throw notFound(`No document ${documentId} at school ${schoolId}.`);
    allow(mayReadDocument(actor, school, document));
    return { school, document };
  }

  async function allEvents(schoolId: string): Promise<MilestoneEvent[]> {
    const out: MilestoneEvent[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: MilestoneEvent[]; cursor: string | null } = await store.history(schoolId, {
        order: 'oldest-first',
        limit: 1000,
        cursor,
      });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/schools/{schoolId}/milestones/{milestone}/documents/uploads',
      tags: ['documents'],
      summary: 'Start uploading one document: a presigned POST straight to the document store',
      description:
        "The milestone's assignee (or the school's own staff), while the milestone is active. PDF, JPEG or PNG, at most 20 MB; " +
        'the size range and the Content-Type are part of the signed policy. Confirm the upload afterwards.',
      security,
      request: { params: MilestoneParams, body: { content: { 'application/json': { schema: UploadRequest } }, required: true } },
      responses: {
        201: json(UploadTicket, 'Where and how to send the file'),
        404: problem('No such school or milestone'),
        409: problem('The milestone is not active: its submission is not open'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      const { schoolId, milestone } = c.req.valid('param');
      const body = c.req.valid('json');
      const b = bucket();
      const def = program.milestones.find((m) => m.key === milestone);
      if (!def) throw notFound(`Milestone ${milestone} is not part of program ${program.id}.`);
      const record = await reads.loadSchool(schoolId);
      const at = now();
      const state = milestoneStates(program, record, at).find((s) => s.key === milestone)!;
      allow(mayUpload(p.actor, record.school, state));
      if (!def.documents.some((r) => r.type === body.type)) {
        throw validationProblem([
          { field: 'body.type', reason: `milestone ${milestone} takes ${def.documents.map((r) => r.type).join(', ') || 'no documents'}` },
        ]);
      }
      if (state.status !== 'active') {
        throw new ApiProblem(
          409,
          `Milestone ${milestone} is ${state.status}; documents are attached while its submission is open (active).`,
          {
            type: PROBLEM_TYPES.conflict,
            code: 'not-allowed',
          },
        );
      }
      const uploadId = newId(at);
      const key = incomingKey(schoolId, uploadId);
      const ticket = await presignUpload(b, key, body.contentType, at);
      await store.putUploadIntent(
        {
          uploadId,
          schoolId,
          milestone,
          type: body.type,
          fileName: body.fileName,
          contentType: body.contentType,
          uploadedBy: uploaderOf(p.actor),
          createdAt: at.toISOString(),
          key,
        },
        Math.ceil(at.getTime() / 1000) + UPLOAD_TTL_SECONDS,
      );
      return c.json({ uploadId, ...ticket }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/schools/{schoolId}/documents/uploads/{uploadId}/confirm',
      tags: ['documents'],
      summary: "Confirm an upload: check the file and attach it to the milestone's open submission",
      description:
        'The stored object is checked: at most 20 MB, and a PDF, JPEG or PNG by its first bytes (its name does not count) matching the declared type. ' +
        'Its SHA-256 is recorded. A refused file is deleted and nothing is attached.',
      security,
      request: { params: UploadParams },
      responses: {
        201: json(DocumentView, 'The attached document'),
        404: problem('No such upload (never issued, expired, or already confirmed)'),
        409: problem('The milestone is no longer active'),
        422: problem('The file is too large, empty, not a PDF/JPEG/PNG, or not of the declared type; it was deleted'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      const { schoolId, uploadId } = c.req.valid('param');
      const b = bucket();
      const intent = await store.getUploadIntent(uploadId);
      if (!intent || intent.schoolId !== schoolId) throw notFound(`No open upload ${uploadId} for school ${schoolId}.`);
      if (intent.uploadedBy.sub !== p.actor.sub) throw forbidden('Only the user who started an upload confirms it.');
      const inspection = await inspectUpload(b, intent.key);
      const refuse = async (code: string, message: string): Promise<never> => {
        await discard(b, intent.key);
        await store.deleteUploadIntent(uploadId);
        throw new ApiProblem(422, message, { type: PROBLEM_TYPES.invalidDocument, code, errors: [{ field: 'file', reason: message }] });
      };
      if (!inspection.ok) {
        if (inspection.reason === 'missing')
          throw new ApiProblem(409, inspection.message, { type: PROBLEM_TYPES.conflict, code: 'missing' });
        return refuse(inspection.reason, inspection.message);
      }
      if (inspection.contentType !== intent.contentType) {
        return refuse('wrong-type', `the file is ${inspection.contentType} by its content, but was declared as ${intent.contentType}`);
      }
      const at = now();
      const id = newId(at);
      const key = documentKey(schoolId, intent.milestone, id, inspection.contentType);
      const versionId = await promote(b, intent.key, key, at);
      const document: DocumentRecord = {
        id,
        type: intent.type,
        contentType: inspection.contentType,
        size: inspection.size,
        sha256: inspection.sha256,
        schoolId,
        milestone: intent.milestone,
        fileName: intent.fileName,
        uploadedBy: intent.uploadedBy,
        uploadedAt: at.toISOString(),
        key,
        versionId,
      };
      try {
        await store.attachDocument(uploadId, document);
      } catch (error) {
        if (!(error instanceof AttachRefusedError)) throw error;
        await discard(b, key);
        await store.deleteUploadIntent(uploadId);
        throw new ApiProblem(409, error.message, { type: PROBLEM_TYPES.conflict, code: error.reason });
      }
      return c.json(toDocumentView(document), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/documents',
      tags: ['documents'],
      summary: "A school's documents with their SHA-256 hashes (a contractor: its own organisation's uploads)",
      security,
      request: { params: SchoolParams },
      responses: { 200: json(DocumentList, 'The documents'), 404: problem('No such school'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      const { schoolId } = c.req.valid('param');
      const documents = await readable(actor, schoolId);
      return c.json({ items: documents.map(toDocumentView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/documents/verify',
      tags: ['documents'],
      summary: 'The hash check: the bytes stored now against the hash recorded at confirmation and carried by the submissions',
      security,
      request: { params: SchoolParams },
      responses: {
        200: json(DocumentVerification, 'One line per document'),
        404: problem('No such school'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      const { schoolId } = c.req.valid('param');
      const b = bucket();
      const documents = await readable(actor, schoolId);
      const submitted = new Map<string, string[]>();
      for (const e of await allEvents(schoolId)) {
        if (e.type !== 'submitted') continue;
        for (const d of e.documents ?? []) submitted.set(d.id, [...(submitted.get(d.id) ?? []), d.sha256]);
      }
      const items: DocumentCheck[] = [];
      for (const d of documents) {
        let current: string | null;
        try {
          current = (await hashObject(b, d.key)).sha256;
        } catch (error) {
          if (!(error instanceof NoSuchKey)) throw error;
          current = null;
        }
        const carried = submitted.get(d.id) ?? [];
        items.push({
          id: d.id,
          milestone: d.milestone,
          type: d.type,
          fileName: d.fileName,
          recorded: d.sha256,
          current,
          submitted: carried,
          intact: current === d.sha256 && carried.every((h) => h === d.sha256),
        });
      }
      return c.json({ checkedAt: now().toISOString(), intact: items.every((i) => i.intact), items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/documents/{documentId}',
      tags: ['documents'],
      summary: 'A short-lived link (5 minutes) to read the document as it was confirmed',
      security,
      request: { params: DocumentParams },
      responses: {
        200: json(DownloadLink, 'The link'),
        404: problem('No such school or document'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      const { schoolId, documentId } = c.req.valid('param');
      const b = bucket();
      const { document } = await readableDocument(actor, schoolId, documentId);
      const url = await presignDownload(b, document.key, document.fileName, document.contentType, {
        versionId: document.versionId,
        inline: true,
      });
      return c.json({ url, expiresAt: new Date(now().getTime() + DOWNLOAD_TTL_SECONDS * 1000).toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/schools/{schoolId}/documents/{documentId}',
      tags: ['documents'],
      summary: 'Remove a document from the open submission (before it is submitted)',
      description:
        'The organisation that uploaded it (the contractor, or the school for its own uploads), while the milestone is active. ' +
        'A document a submission already carried is part of the record (its hash is in the audit) and stays.',
      security,
      request: { params: DocumentParams },
      responses: {
        204: { description: 'Removed' },
        404: problem('No such school or document'),
        409: problem('The milestone is not active, or a submission already carried the document'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      const { schoolId, documentId } = c.req.valid('param');
      const b = bucket();
      const { school, document } = await readableDocument(actor, schoolId, documentId);
      allow(mayRemoveDocument(actor, school, document));
      const carried = (await allEvents(schoolId)).some(
        (e) => e.type === 'submitted' && (e.documents ?? []).some((d) => d.id === document.id),
      );
      if (carried) {
        throw new ApiProblem(409, `Document ${document.id} was part of a submission: its hash is in the audit, and it stays.`, {
          type: PROBLEM_TYPES.conflict,
          code: 'submitted',
        });
      }
      try {
        await store.detachDocument(document);
      } catch (error) {
        if (!(error instanceof AttachRefusedError)) throw error;
        throw new ApiProblem(409, error.message, { type: PROBLEM_TYPES.conflict, code: error.reason });
      }
      await discard(b, document.key);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/dossier',
      tags: ['documents'],
      summary: "A link to the school's dossier: one ZIP with its history (CSV), the document register and every document",
      description: "Program managers and the school's district coordinator. The ZIP is kept for a day.",
      security,
      request: { params: SchoolParams },
      responses: {
        200: json(DownloadLink, 'The link'),
        404: problem('No such school'),
        503: problem('Documents are not configured'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      const { schoolId } = c.req.valid('param');
      const b = bucket();
      const school = await reads.profile(schoolId);
      allow(mayDownloadDossier(actor, school));
      const at = now();
      const [events, records] = await Promise.all([allEvents(schoolId), store.listDocuments(schoolId)]);
      const documents = [];
      for (const record of records) documents.push({ record, bytes: await readObject(b, record.key, record.versionId) });
      const zip = buildDossier(school, events, documents, at);
      const key = `${PREFIX.dossiers}${schoolId}/${newId(at)}.zip`;
      await putBytes(b, key, zip, 'application/zip');
      const stamp = at.toISOString().slice(0, 10);
      const url = await presignDownload(b, key, `dossier-${schoolId}-${stamp}.zip`, 'application/zip');
      return c.json({ url, expiresAt: new Date(at.getTime() + DOWNLOAD_TTL_SECONDS * 1000).toISOString() }, 200);
    },
  );

  return app;
}
