/**
 * The evidence-document bucket in the template: encrypted, private, TLS only, versioned with noncurrent
 * versions kept, retained with the stack, expiring unconfirmed uploads, CORS for the dashboard's origin
 * only, access logs; Object Lock on prod; the API's grants limited to the bucket's three prefixes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_BUCKET_ENV, DOCUMENT_RETENTION_ENV } from '../../infra/aws/constructs/document-bucket.js';
import {
  actionsOf,
  functionByEntry,
  nagFindings,
  ofType,
  resourcesOf,
  statementsOfFunction,
  synthesize,
  type CfnResource,
  type Synthesized,
} from './synth.js';

const API = 'functions/api/handler.ts';

let dev: Synthesized;
let prod: Synthesized;
beforeAll(() => {
  dev = synthesize();
  prod = synthesize({ stage: 'prod' });
});

function buckets(s: Synthesized): { documents: [string, CfnResource]; logs: [string, CfnResource] } {
  const all = ofType(s.resources, 'AWS::S3::Bucket');
  expect(all).toHaveLength(2);
  const documents = all.find(([, r]) => r.Properties?.['VersioningConfiguration'] !== undefined)!;
  const logs = all.find((b) => b !== documents)!;
  return { documents, logs };
}

describe('the document bucket', () => {
  it('is encrypted, private, versioned, retained with the stack and logs its access', () => {
    const { documents, logs } = buckets(dev);
    const [, bucket] = documents;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logs[0] }, LogFilePrefix: 'documents/' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    // Kept even when the dev stack is deleted: documents outlive the stack.
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(logs[1].DeletionPolicy).toBe('Retain');
  });

  it('refuses every request without TLS', () => {
    const { documents } = buckets(dev);
    const policy = ofType(dev.resources, 'AWS::S3::BucketPolicy').find(
      ([, p]) => JSON.stringify(p.Properties?.['Bucket']) === JSON.stringify({ Ref: documents[0] }),
    )!;
    const statements = (policy[1].Properties!['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('expires unconfirmed uploads and dossiers after a day and never expires a document or its old versions', () => {
    const rules = (buckets(dev).documents[1].Properties!['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ Id: 'abandoned-uploads', Prefix: 'incoming/', ExpirationInDays: 1, Status: 'Enabled' }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ Id: 'dossiers', Prefix: 'dossiers/', ExpirationInDays: 1, Status: 'Enabled' }));
    const kept = rules.find((r) => r['Prefix'] === 'documents/')!;
    expect(kept).toMatchObject({ NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }] });
    expect(kept['ExpirationInDays']).toBeUndefined();
    expect(kept['NoncurrentVersionExpiration']).toBeUndefined();
    for (const rule of rules) expect(rule['Prefix'], JSON.stringify(rule)).toMatch(/^(incoming|dossiers|documents)\/$/);
  });

  it('allows POST and GET from the dashboard origin (the API) only', () => {
    const cors = (buckets(dev).documents[1].Properties!['CorsConfiguration'] as { CorsRules: Record<string, unknown>[] }).CorsRules;
    expect(cors).toHaveLength(1);
    expect(cors[0]).toMatchObject({ AllowedMethods: ['POST', 'GET'] });
    const origins = JSON.stringify(cors[0]!['AllowedOrigins']);
    const api = ofType(dev.resources, 'AWS::ApiGatewayV2::Api')[0]![0];
    expect(origins).toContain(`{"Ref":"${api}"}`);
    expect(origins).toContain('.execute-api.');
    expect(origins).not.toContain('*');
  });

  it('has no Object Lock on dev; on prod Object Lock is on and the API gets the retention period', () => {
    expect(buckets(dev).documents[1].Properties!['ObjectLockEnabled']).toBeUndefined();
    expect(buckets(prod).documents[1].Properties!['ObjectLockEnabled']).toBe(true);
    const env = (s: Synthesized) =>
      (functionByEntry(s.resources, API)[1].Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env(dev)[DOCUMENT_RETENTION_ENV]).toBeUndefined();
    expect(Number(env(prod)[DOCUMENT_RETENTION_ENV])).toBeGreaterThanOrEqual(4 * 365);
    expect(env(dev)[DOCUMENT_BUCKET_ENV]).toEqual({ Ref: buckets(dev).documents[0] });
  });

  it('gives the API object actions on the three prefixes only, and no bucket-wide or wildcard action', () => {
    const [apiId] = functionByEntry(dev.resources, API);
    const { documents } = buckets(dev);
    const s3 = statementsOfFunction(dev.resources, apiId).filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    const byPrefix = new Map<string, string[]>();
    for (const st of s3) {
      for (const r of resourcesOf(st)) {
        const text = JSON.stringify(r);
        expect(text).toContain(documents[0]);
        const prefix = /\/(incoming|documents|dossiers)\/\*/.exec(text)?.[1];
        expect(prefix, text).toBeDefined();
        byPrefix.set(prefix!, [...(byPrefix.get(prefix!) ?? []), ...actionsOf(st)].sort());
      }
    }
    expect(Object.fromEntries(byPrefix)).toEqual({
      incoming: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      documents: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      dossiers: ['s3:GetObject', 's3:PutObject'],
    });
    for (const st of s3) for (const a of actionsOf(st)) expect(a).not.toContain('*');
  });

  it('keeps cdk-nag clean on both stages', () => {
    expect(nagFindings(dev.nag)).toEqual([]);
    expect(nagFindings(prod.nag)).toEqual([]);
  });
});
