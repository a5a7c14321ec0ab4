/**
 * Evidence documents over HTTP, with the real local S3 server: a contractor uploads the act and the
 * speed test of a connection submission through presigned POSTs, the files are checked on confirmation
 * and attached, the submission carries their hashes; refused files leave nothing; who may read what; the
 * hash check finds a document changed after acceptance; the dossier ZIP holds the history and every
 * document.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentList, DocumentVerification, DocumentView, DownloadLink, UploadTicket } from '../../shared/api/documents.js';
import { HistoryPage } from '../../shared/api/schemas.js';
import { MAX_DOCUMENT_BYTES } from '../../shared/documents/model.js';
import { decodeJwt } from 'jose';
import { samplePdf, samplePng } from '../../shared/documents/samples.js';
import { settledItems, startApi, todayInOmsk, uploadDocument, type ApiFixture } from './helpers.js';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi('documents');
});
afterAll(async () => {
  await api?.stop();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const act = samplePdf(['Act of completed work', 'Connection at the standard speed']);
const photo = samplePng(80, 60, [30, 120, 200]);
const speedTest = samplePdf(['Speed test', '120 Mbit/s down, 110 Mbit/s up']);

async function startConnection(): Promise<string> {
  const base = `/api/schools/${api.school.id}/milestones/connection`;
  const started = await api.request('POST', `${base}/start`, { body: { assignee: api.contractorOrg } });
  expect(started.status).toBe(200);
  return base;
}

async function documents(as: Parameters<ApiFixture['request']>[2] = {}) {
  return api.request('GET', `/api/schools/${api.school.id}/documents`, as);
}

describe('evidence documents', () => {
  let base: string;
  let actId: string;

  beforeAll(async () => {
    base = await startConnection();
  });

  it('a contractor uploads a PDF act and a photo straight to S3; confirmation records hash, size, type, uploader and time', async () => {
    const uploaded = await uploadDocument(api, api.school.id, 'connection', 'work-act', {
      bytes: act,
      contentType: 'application/pdf',
      fileName: 'акт-17.pdf',
    });
    expect(uploaded.ticket.status).toBe(201);
    expect(uploaded.post).toBe(204);
    expect(uploaded.confirm!.status).toBe(201);
    const view = DocumentView.parse(uploaded.confirm!.json);
    expect(view).toMatchObject({
      milestone: 'connection',
      type: 'work-act',
      fileName: 'акт-17.pdf',
      contentType: 'application/pdf',
      size: act.length,
      sha256: sha256(act),
      uploadedBy: { sub: decodeJwt(api.tokens.contractor!).sub, role: 'contractor', org: api.contractorOrg },
    });
    actId = view.id;
    const pic = await uploadDocument(api, api.school.id, 'connection', 'photo', {
      bytes: photo,
      contentType: 'image/png',
      fileName: 'router.png',
    });
    expect(DocumentView.parse(pic.confirm!.json)).toMatchObject({ contentType: 'image/png', sha256: sha256(photo), size: photo.length });
    // The incoming objects were moved: only the two documents are in the bucket.
    const listed = DocumentList.parse((await documents()).json).items;
    expect(listed.map((d) => d.type).sort()).toEqual(['photo', 'work-act']);
  });

  it('binds the size range and the Content-Type into the signed upload policy', async () => {
    const ticket = await api.request('POST', `${base}/documents/uploads`, {
      as: 'contractor',
      body: { type: 'speed-test', fileName: 's.pdf', contentType: 'application/pdf' },
    });
    expect(ticket.status).toBe(201);
    const t = UploadTicket.parse(ticket.json);
    expect(t.maxBytes).toBe(MAX_DOCUMENT_BYTES);
    const policy = JSON.parse(Buffer.from(t.fields['Policy']!, 'base64').toString('utf8')) as { conditions: unknown[] };
    expect(policy.conditions).toContainEqual(['content-length-range', 1, MAX_DOCUMENT_BYTES]);
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'application/pdf']);
    expect(policy.conditions).toContainEqual({ key: t.fields['key'] });
    expect(t.fields['key']).toMatch(new RegExp(`^incoming/${api.school.id}/`));
  });

  it('refuses a file over 20 MB: when declared, before any URL; when only stored, at confirmation — the object deleted and nothing attached', async () => {
    const before = await settledItems(api);
    const declared = await uploadDocument(api, api.school.id, 'connection', 'speed-test', {
      bytes: speedTest,
      contentType: 'application/pdf',
      fileName: 'big.pdf',
      declaredSize: MAX_DOCUMENT_BYTES + 1,
    });
    expect(declared.ticket.status).toBe(400);
    expect(declared.ticket.headers.get('content-type')).toContain('application/problem+json');
    expect(declared.ticket.json.errors).toEqual([expect.objectContaining({ field: 'body.size' })]);
    expect(await api.items()).toEqual(before);

    // The local S3 server does not enforce the POST policy (S3 would answer 400 EntityTooLarge): the
    // API's confirmation is the layer that refuses it here, from the stored object's size.
    const big = new Uint8Array(MAX_DOCUMENT_BYTES + 1);
    big.set(samplePdf(['big']).subarray(0, 8));
    const stored = await uploadDocument(api, api.school.id, 'connection', 'speed-test', {
      bytes: big,
      contentType: 'application/pdf',
      fileName: 'big.pdf',
    });
    expect(stored.post).toBe(204);
    expect(stored.confirm!.status).toBe(422);
    expect(stored.confirm!.headers.get('content-type')).toContain('application/problem+json');
    expect(stored.confirm!.json).toMatchObject({
      code: 'too-large',
      errors: [{ field: 'file', reason: expect.stringContaining('20 MB') }],
    });
    expect(await api.items()).toEqual(before);
    expect(await incomingKeys()).toEqual([]);
  });

  it('refuses an executable renamed .pdf by its first bytes, deletes it and attaches nothing', async () => {
    const before = await settledItems(api);
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(200).fill(0)]);
    const r = await uploadDocument(api, api.school.id, 'connection', 'speed-test', {
      bytes: elf,
      contentType: 'application/pdf',
      fileName: 'speedtest.pdf',
    });
    expect(r.post).toBe(204);
    expect(r.confirm!.status).toBe(422);
    expect(r.confirm!.json).toMatchObject({
      code: 'wrong-type',
      errors: [{ field: 'file', reason: expect.stringContaining('not a PDF, JPEG or PNG') }],
    });
    // A real PNG declared as a PDF is refused too: the bytes must be what the policy let through.
    const disguised = await uploadDocument(api, api.school.id, 'connection', 'speed-test', {
      bytes: photo,
      contentType: 'application/pdf',
      fileName: 'speed.pdf',
    });
    expect(disguised.confirm!.json).toMatchObject({
      code: 'wrong-type',
      errors: [{ field: 'file', reason: expect.stringContaining('image/png') }],
    });
    expect(await api.items()).toEqual(before);
    expect(await incomingKeys()).toEqual([]);
  });

  it("expires an upload sent and never confirmed with the bucket's lifecycle rule, and never a document", async () => {
    const ticket = UploadTicket.parse(
      (
        await api.request('POST', `${base}/documents/uploads`, {
          as: 'contractor',
          body: { type: 'photo', fileName: 'x.png', contentType: 'image/png' },
        })
      ).json,
    );
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
    form.append('file', new Blob([Buffer.from(photo)], { type: 'image/png' }), 'x.png');
    expect((await fetch(ticket.url, { method: 'POST', body: form })).status).toBe(204);
    expect(await incomingKeys()).toHaveLength(1);
    const documentsBefore = (await allKeys()).filter((k) => k.startsWith('documents/'));
    // Not yet a day old: kept.
    expect(await api.stack.applyLifecycle(new Date())).toEqual([]);
    const expired = await api.stack.applyLifecycle(new Date(Date.now() + 2 * 86_400_000));
    expect(expired).toEqual([`${api.stack.documentBucket}/${ticket.fields['key']}`]);
    expect(await incomingKeys()).toEqual([]);
    expect((await allKeys()).filter((k) => k.startsWith('documents/'))).toEqual(documentsBefore);
    expect(DocumentList.parse((await documents()).json).items).toHaveLength(2);
  });

  it('refuses a submission without the speed-test result with a field error, and writes nothing', async () => {
    const before = await settledItems(api);
    const evidence = { kind: 'connection', actNumber: 'АКТ-17', actDate: todayInOmsk(), bandwidthMbps: 120 };
    const r = await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence } });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.json).toMatchObject({
      code: 'invalid-evidence',
      errors: [{ field: 'documents.speed-test', reason: 'Speed-test result (speed-test) is required and not attached' }],
    });
    expect(await api.items()).toEqual(before);
  });

  it('lets the uploading organisation remove a document from the open submission, and nobody else; nothing of it stays', async () => {
    const before = await settledItems(api);
    const beforeKeys = await allKeys();
    const extra = await uploadDocument(api, api.school.id, 'connection', 'photo', {
      bytes: samplePng(20, 20, [200, 10, 10]),
      contentType: 'image/png',
      fileName: 'wrong-room.png',
    });
    const id = DocumentView.parse(extra.confirm!.json).id;
    const path = `/api/schools/${api.school.id}/documents/${id}`;
    for (const as of ['otherContractor', 'viewer', 'manager', 'coordinator', 'schoolStaff'] as const) {
      const r = await api.request('DELETE', path, { as });
      expect(r.status, as).toBe(403);
      expect(r.headers.get('content-type'), as).toContain('application/problem+json');
    }
    const removed = await api.request('DELETE', path, { as: 'contractor' });
    expect(removed.status).toBe(204);
    expect(DocumentList.parse((await documents()).json).items.map((d) => d.id)).not.toContain(id);
    expect(await api.items()).toEqual(before);
    expect(await allKeys()).toEqual(beforeKeys);
    expect((await api.request('DELETE', path, { as: 'contractor' })).status).toBe(404);
  });

  it('accepts the submission once every required document is attached; its audit event carries their hashes', async () => {
    const st = await uploadDocument(api, api.school.id, 'connection', 'speed-test', {
      bytes: speedTest,
      contentType: 'application/pdf',
      fileName: 'speedtest.pdf',
    });
    expect(st.confirm!.status).toBe(201);
    const evidence = { kind: 'connection', actNumber: 'АКТ-17', actDate: todayInOmsk(), bandwidthMbps: 120 };
    const r = await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence } });
    expect(r.status).toBe(200);
    const history = HistoryPage.parse((await api.request('GET', `/api/schools/${api.school.id}/history`)).json).items;
    const submitted = history.find((e) => e.type === 'submitted')!;
    expect(submitted.type === 'submitted' && submitted.documents?.map((d) => [d.type, d.sha256]).sort()).toEqual(
      [
        ['photo', sha256(photo)],
        ['speed-test', sha256(speedTest)],
        ['work-act', sha256(act)],
      ].sort(),
    );
    // A submitted milestone takes no more documents until it is back with the contractor.
    const late = await api.request('POST', `${base}/documents/uploads`, {
      as: 'contractor',
      body: { type: 'photo', fileName: 'late.png', contentType: 'image/png' },
    });
    expect(late.status).toBe(409);
    // A document the submission carried is part of the record: it cannot be removed. (The workflow hears
    // of the submission after its answer, from the table's stream: the items are read once it has settled.)
    const before = await settledItems(api);
    const removal = await api.request('DELETE', `/api/schools/${api.school.id}/documents/${actId}`, { as: 'contractor' });
    expect(removal.status).toBe(409);
    expect(removal.json).toMatchObject({ code: 'submitted' });
    expect(await api.items()).toEqual(before);
  });

  it('lets the manager, the coordinator and the school open a document through a short-lived link, with the confirmed bytes', async () => {
    for (const who of [{ as: 'manager' as const }, { as: 'coordinator' as const }, { as: 'schoolStaff' as const }]) {
      const r = await api.request('GET', `/api/schools/${api.school.id}/documents/${actId}`, who);
      expect(r.status, JSON.stringify(who)).toBe(200);
      const link = DownloadLink.parse(r.json);
      expect(link.url).toContain('X-Amz-Expires=300');
      const file = await fetch(link.url);
      expect(file.status).toBe(200);
      expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(act));
    }
    // The school sees every document of its school.
    expect(DocumentList.parse((await documents({ as: 'schoolStaff' as const })).json).items).toHaveLength(3);
  });

  it("does not let contractor B read contractor A's document (403), nor a viewer any, nor another district's coordinator", async () => {
    const other = await api.request('GET', `/api/schools/${api.school.id}/documents/${actId}`, { as: 'otherContractor' });
    expect(other.status).toBe(403);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(DocumentList.parse((await documents({ as: 'otherContractor' })).json).items).toEqual([]);
    for (const as of ['viewer', 'otherCoordinator', 'otherSchoolStaff'] as const) {
      expect((await api.request('GET', `/api/schools/${api.school.id}/documents/${actId}`, { as })).status, as).toBe(403);
      expect((await documents({ as })).status, as).toBe(403);
    }
  });

  it('reports a document whose bytes changed after acceptance', async () => {
    // The school confirms the connection at the standard speed before the manager accepts.
    const signed = await api.request('POST', `${base}/signoff`, { as: 'schoolStaff', body: { measuredMbps: api.school.urban ? 120 : 60 } });
    expect(signed.status).toBe(200);
    const accepted = await api.request('POST', `${base}/accept`, {});
    expect(accepted.status).toBe(200);
    const clean = DocumentVerification.parse((await api.request('GET', `/api/schools/${api.school.id}/documents/verify`)).json);
    expect(clean.intact).toBe(true);
    expect(clean.items).toHaveLength(3);

    // Somebody with access to the bucket overwrites the accepted act.
    const record = (await api.stack.store.listDocuments(api.school.id)).find((d) => d.id === actId)!;
    const forged = samplePdf(['Act of completed work', 'Connection at 10 Mbit/s']);
    await api.stack.s3.send(
      new PutObjectCommand({ Bucket: api.stack.documentBucket, Key: record.key, Body: forged, ContentType: 'application/pdf' }),
    );

    const check = DocumentVerification.parse((await api.request('GET', `/api/schools/${api.school.id}/documents/verify`)).json);
    expect(check.intact).toBe(false);
    const line = check.items.find((i) => i.id === actId)!;
    expect(line).toEqual({
      id: actId,
      milestone: 'connection',
      type: 'work-act',
      fileName: 'акт-17.pdf',
      recorded: sha256(act),
      current: sha256(forged),
      submitted: [sha256(act)],
      intact: false,
    });
    expect(check.items.filter((i) => i.id !== actId).every((i) => i.intact)).toBe(true);
  });

  it('gives program managers and the district coordinator the dossier ZIP: history CSV, register and every document', async () => {
    for (const as of ['contractor', 'viewer', 'otherCoordinator'] as const) {
      expect((await api.request('GET', `/api/schools/${api.school.id}/dossier`, { as })).status, as).toBe(403);
    }
    expect((await api.request('GET', `/api/schools/${api.school.id}/dossier`, { as: 'schoolStaff' as const })).status).toBe(403);
    const r = await api.request('GET', `/api/schools/${api.school.id}/dossier`, { as: 'coordinator' });
    expect(r.status).toBe(200);
    const zipResponse = await fetch(DownloadLink.parse(r.json).url);
    expect(zipResponse.status).toBe(200);
    expect(zipResponse.headers.get('content-disposition')).toContain(`dossier-${api.school.id}-`);
    const files = unzipSync(new Uint8Array(await zipResponse.arrayBuffer()));
    const names = Object.keys(files).sort();
    expect(names.filter((n) => n.startsWith('documents/'))).toHaveLength(3);
    expect(names).toEqual(expect.arrayContaining(['history.csv', 'documents.csv', 'school.json']));

    const history = strFromU8(files['history.csv']!)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(history[0]).toBe('at,milestone,type,version,actor_role,actor,details,document_hashes');
    expect(
      history
        .slice(1)
        .filter((l) => l.split(',')[1] === 'connection')
        .map((l) => l.split(',')[2]),
    ).toEqual(['started', 'submitted', 'signed-off', 'accepted']);
    expect(history.find((l) => l.includes(',submitted,'))).toContain(sha256(act));

    // Every document is in the ZIP with the hash recorded at confirmation and the hash of the bytes
    // included; the act overwritten after acceptance is flagged (the local S3 server keeps no versions:
    // in AWS the versioned bucket gives the confirmed version).
    const register = strFromU8(files['documents.csv']!)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(register).toHaveLength(3);
    for (const [id, , , , , size, recorded, , , , path, included, intact] of register) {
      expect(files[path!], path).toBeDefined();
      expect(sha256(files[path!]!), id).toBe(included);
      expect(intact, id).toBe(String(id !== actId));
      expect(intact, id).toBe(String(included === recorded));
      if (id !== actId) expect(files[path!]!.length, id).toBe(Number(size));
    }
    expect(register.find((row) => row[0] === actId)![6]).toBe(sha256(act));
  });
});

async function allKeys(): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const out = await api.stack.s3.send(new ListObjectsV2Command({ Bucket: api.stack.documentBucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function incomingKeys(): Promise<string[]> {
  return (await allKeys()).filter((k) => k.startsWith('incoming/'));
}
