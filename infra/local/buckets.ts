/**
 * The template's S3 buckets on the local S3 server: created by their local names, with their CORS rules
 * (the allowed origins replaced by the local dashboard's, the one thing that differs from AWS), and their
 * lifecycle expiry rules applied by a local sweep — the local server has no lifecycle of its own.
 *
 * Supported in a lifecycle rule: `Status`, `Prefix` (or `Filter.Prefix`), `ExpirationInDays`; the other
 * actions of a rule (noncurrent versions, transitions, aborting multipart uploads) concern versions and
 * storage classes the local server does not keep, so they have nothing to act on here.
 */
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteObjectsCommand,
  PutBucketCorsCommand,
  paginateListObjectsV2,
  type CORSRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { LocalBucket } from './template.js';

export interface ExpiryRule {
  id: string;
  prefix: string;
  days: number;
}

interface CfnLifecycleRule {
  Id?: string;
  Status?: string;
  Prefix?: string;
  Filter?: { Prefix?: string };
  ExpirationInDays?: number;
}

interface CfnCorsRule {
  AllowedMethods?: string[];
  AllowedHeaders?: string[];
  ExposedHeaders?: string[];
  MaxAge?: number;
}

/** The enabled expiry rules of a bucket's LifecycleConfiguration. */
export function expiryRules(bucket: LocalBucket): ExpiryRule[] {
  const rules = ((bucket.properties['LifecycleConfiguration'] as { Rules?: CfnLifecycleRule[] } | undefined)?.Rules ??
    []) as CfnLifecycleRule[];
  return rules
    .filter((r) => r.Status !== 'Disabled' && typeof r.ExpirationInDays === 'number')
    .map((r, i) => ({ id: r.Id ?? `rule-${i}`, prefix: r.Prefix ?? r.Filter?.Prefix ?? '', days: r.ExpirationInDays! }));
}

export async function createBucketsFromTemplate(
  s3: S3Client,
  buckets: readonly LocalBucket[],
  allowedOrigins: readonly string[],
): Promise<void> {
  for (const bucket of buckets) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
    } catch (error) {
      if (!(error instanceof BucketAlreadyOwnedByYou) && (error as { name?: string }).name !== 'BucketAlreadyExists') throw error;
    }
    const cors = ((bucket.properties['CorsConfiguration'] as { CorsRules?: CfnCorsRule[] } | undefined)?.CorsRules ?? []) as CfnCorsRule[];
    if (cors.length === 0) continue;
    const rules: CORSRule[] = cors.map((r) => ({
      AllowedMethods: r.AllowedMethods ?? [],
      AllowedOrigins: [...allowedOrigins],
      ...(r.AllowedHeaders ? { AllowedHeaders: r.AllowedHeaders } : {}),
      ...(r.ExposedHeaders ? { ExposeHeaders: r.ExposedHeaders } : {}),
      ...(r.MaxAge !== undefined ? { MaxAgeSeconds: r.MaxAge } : {}),
    }));
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket.name, CORSConfiguration: { CORSRules: rules } }));
  }
}

/** Deletes the objects the expiry rules say are due at `now` (by their LastModified); the keys deleted. */
export async function applyExpiry(s3: S3Client, buckets: readonly LocalBucket[], now: Date): Promise<string[]> {
  const deleted: string[] = [];
  for (const bucket of buckets) {
    for (const rule of expiryRules(bucket)) {
      const due: string[] = [];
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket.name, Prefix: rule.prefix })) {
        for (const o of page.Contents ?? []) {
          if (o.Key && o.LastModified && o.LastModified.getTime() + rule.days * 86_400_000 <= now.getTime()) due.push(o.Key);
        }
      }
      for (let i = 0; i < due.length; i += 1000) {
        const batch = due.slice(i, i + 1000);
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket.name, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      }
      deleted.push(...due.map((k) => `${bucket.name}/${k}`));
    }
  }
  return deleted;
}

/** Runs `applyExpiry` every `intervalMs` (default hourly) until stopped. */
export function startExpirySweep(
  s3: S3Client,
  buckets: readonly LocalBucket[],
  options: { intervalMs?: number; log?: (m: string) => void } = {},
): { stop(): void } {
  const timer = setInterval(() => {
    applyExpiry(s3, buckets, new Date()).then(
      (keys) => {
        if (keys.length) options.log?.(`lifecycle: expired ${keys.length} object(s)`);
      },
      (error: unknown) => options.log?.(`lifecycle: ${(error as Error).message}`),
    );
  }, options.intervalMs ?? 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
