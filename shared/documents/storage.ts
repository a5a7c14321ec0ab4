/**
 * The document bucket through the AWS SDK (S3 in AWS; the local S3 server through `AWS_ENDPOINT_URL_S3`):
 * presigned POSTs for uploads, the check of an uploaded object (size from HeadObject, type from its first
 * bytes, SHA-256 of all of them), moving it out of `incoming/`, presigned GETs, and the hash check.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DocumentContentType } from '../program/model.js';
import { DOWNLOAD_TTL_SECONDS, MAX_DOCUMENT_BYTES, PREFIX, SNIFF_BYTES, UPLOAD_TTL_SECONDS, sniffContentType } from './model.js';

export interface DocumentBucket {
  s3: S3Client;
  bucket: string;
  /** Object Lock retention (governance mode) put on each confirmed document, where the bucket has Object Lock. */
  retentionDays?: number;
}

export interface PresignedUpload {
  url: string;
  /** Form fields to send before the file (the file goes last, as `file`). */
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
}

/** A POST the browser sends straight to the bucket: this key, this Content-Type, 1 byte to 20 MB, 15 minutes. */
export async function presignUpload(b: DocumentBucket, key: string, contentType: DocumentContentType, now: Date): Promise<PresignedUpload> {
  const { url, fields } = await createPresignedPost(b.s3, {
    Bucket: b.bucket,
    Key: key,
    Conditions: [
      ['content-length-range', 1, MAX_DOCUMENT_BYTES],
      ['eq', '$Content-Type', contentType],
    ],
    Fields: { 'Content-Type': contentType },
    Expires: UPLOAD_TTL_SECONDS,
  });
  return { url, fields, expiresAt: new Date(now.getTime() + UPLOAD_TTL_SECONDS * 1000).toISOString(), maxBytes: MAX_DOCUMENT_BYTES };
}

/**
 * The origin the bucket's presigned POSTs go to (as the SDK resolves the endpoint: the bucket's own host
 * in AWS, the configured endpoint elsewhere): the page that uploads must be allowed to reach it. Signing
 * is local: nothing is sent.
 */
export async function uploadOrigin(b: DocumentBucket): Promise<string> {
  const { url } = await createPresignedPost(b.s3, { Bucket: b.bucket, Key: PREFIX.incoming, Expires: 60 });
  return new URL(url).origin;
}

export type Inspection =
  | { ok: true; size: number; sha256: string; contentType: DocumentContentType }
  | { ok: false; reason: 'missing' | 'too-large' | 'empty' | 'wrong-type'; message: string; size?: number };

/**
 * What an uploaded object really is: its size (HeadObject; an object over the limit is refused without
 * reading it), its type from its first bytes, and the SHA-256 of its bytes.
 */
export async function inspectUpload(b: DocumentBucket, key: string): Promise<Inspection> {
  let size: number;
  try {
    const head = await b.s3.send(new HeadObjectCommand({ Bucket: b.bucket, Key: key }));
    size = head.ContentLength ?? 0;
  } catch (error) {
    if (error instanceof NotFound || error instanceof NoSuchKey)
      return { ok: false, reason: 'missing', message: 'no file was uploaded for this upload' };
    throw error;
  }
  if (size > MAX_DOCUMENT_BYTES) {
    return {
      ok: false,
      reason: 'too-large',
      size,
      message: `the file has ${size} bytes; at most ${MAX_DOCUMENT_BYTES} (20 MB) are accepted`,
    };
  }
  if (size === 0) return { ok: false, reason: 'empty', size, message: 'the file is empty' };
  const { sha256, head } = await hashObject(b, key);
  const contentType = sniffContentType(head);
  if (!contentType) {
    return { ok: false, reason: 'wrong-type', size, message: 'the file is not a PDF, JPEG or PNG (judged by its content, not its name)' };
  }
  return { ok: true, size, sha256, contentType };
}

/** SHA-256 (hex) of an object's current bytes, and its first bytes. */
export async function hashObject(
  b: DocumentBucket,
  key: string,
  versionId?: string,
): Promise<{ sha256: string; head: Uint8Array; size: number }> {
  const out = await b.s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  let size = 0;
  for await (const chunk of out.Body as Readable) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
    if (head.length < SNIFF_BYTES) head = Buffer.concat([head, bytes.subarray(0, SNIFF_BYTES - head.length)]);
  }
  return { sha256: hash.digest('hex'), head, size };
}

/** Moves a checked upload to its document key (out of the expiring prefix); the new object's version id. */
export async function promote(b: DocumentBucket, from: string, to: string, now: Date): Promise<string | null> {
  const retain = b.retentionDays ? new Date(now.getTime() + b.retentionDays * 86_400_000) : undefined;
  const copy = await b.s3.send(
    new CopyObjectCommand({
      Bucket: b.bucket,
      Key: to,
      CopySource: `${b.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
      ...(retain ? { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: retain } : {}),
    }),
  );
  await discard(b, from);
  return copy.VersionId ?? null;
}

export async function discard(b: DocumentBucket, key: string): Promise<void> {
  await b.s3.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: key }));
}

/** Writes bytes straight to a key (generated documents of the demo, dossiers); the version id. */
export async function putBytes(b: DocumentBucket, key: string, bytes: Uint8Array, contentType: string): Promise<string | null> {
  const out = await b.s3.send(new PutObjectCommand({ Bucket: b.bucket, Key: key, Body: bytes, ContentType: contentType }));
  return out.VersionId ?? null;
}

/** A short-lived link to read an object, downloaded under `fileName`. */
export function presignDownload(
  b: DocumentBucket,
  key: string,
  fileName: string,
  contentType: string,
  options: { versionId?: string | null; inline?: boolean } = {},
): Promise<string> {
  const disposition = `${options.inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(fileName)}`;
  return getSignedUrl(
    b.s3,
    new GetObjectCommand({
      Bucket: b.bucket,
      Key: key,
      ...(options.versionId ? { VersionId: options.versionId } : {}),
      ResponseContentDisposition: disposition,
      ResponseContentType: contentType,
    }),
    { expiresIn: DOWNLOAD_TTL_SECONDS },
  );
}

/** Reads a whole object (the dossier puts every document in the ZIP). */
export async function readObject(b: DocumentBucket, key: string, versionId?: string | null): Promise<Uint8Array> {
  const out = await b.s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  return out.Body!.transformToByteArray();
}
