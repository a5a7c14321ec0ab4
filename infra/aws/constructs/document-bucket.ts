/**
 * The one bucket of evidence documents, and the bucket of its access logs.
 *
 * - Encrypted (SSE-S3), public access blocked, TLS only, versioned; removal policy RETAIN whatever the
 *   stage: a school's documents outlive the stack and are never deleted while its record exists.
 *   Noncurrent versions are kept (moved to Glacier Instant Retrieval after 90 days, never expired), so
 *   a document overwritten after acceptance can be recovered and the hash check tells that it changed.
 * - `incoming/`: uploads not confirmed yet; an expiry rule removes what was never confirmed after a day.
 *   `dossiers/`: generated ZIPs, removed after a day. `documents/`: confirmed documents, kept.
 * - Object Lock (governance mode, set per object at confirmation) where the stage asks for it (prod).
 * - CORS: POST (the presigned upload) and GET from the dashboard's origin only.
 * - Server access logs to a bucket of their own (kept a year).
 *
 * The local stack reads this bucket from the template (name, CORS, lifecycle rules) and creates it on
 * the local S3 server; the local lifecycle (infra/local/s3-lifecycle.ts) applies the expiry rules.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { PREFIX } from '../../../shared/documents/model.js';
import { acknowledgeNag, acknowledgeWildcardResource } from './nag.js';
import { DOCUMENT_BUCKET_ENV } from '../wiring.js';

export { DOCUMENT_BUCKET_ENV };

/** Environment variables of the functions that use the bucket (the bucket's name: DOCUMENT_BUCKET_ENV). */
export const DOCUMENT_RETENTION_ENV = 'DOCUMENT_RETENTION_DAYS';

export interface DocumentBucketProps {
  /** The dashboard's origin (`https://<api id>.execute-api.<region>.amazonaws.com`): the only CORS origin. */
  readonly dashboardOrigin: string;
  /** Object Lock in governance mode for this many days per document; unset: no Object Lock. */
  readonly retentionDays?: number;
}

export class DocumentBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly environment: Record<string, string>;
  readonly retentionDays: number | undefined;

  constructor(scope: Construct, id: string, props: DocumentBucketProps) {
    super(scope, id);
    // Log delivery is granted by a bucket policy, not the LogDeliveryWrite ACL (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.retentionDays = props.retentionDays;
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeNag(
      this.accessLogs,
      'AwsSolutions-S1',
      'This is the access-log bucket of the document bucket; logging its own access would log into itself or need a third bucket.',
    );

    this.bucket = new Bucket(this, 'Documents', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(props.retentionDays ? { objectLockEnabled: true } : {}),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'documents/',
      cors: [
        {
          allowedMethods: [HttpMethods.POST, HttpMethods.GET],
          allowedOrigins: [props.dashboardOrigin],
          allowedHeaders: ['*'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        {
          id: 'abandoned-uploads',
          prefix: PREFIX.incoming,
          expiration: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'dossiers', prefix: PREFIX.dossiers, expiration: Duration.days(1), noncurrentVersionExpiration: Duration.days(1) },
        {
          id: 'keep-noncurrent-documents',
          prefix: PREFIX.documents,
          noncurrentVersionTransitions: [{ storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }],
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.environment = {
      [DOCUMENT_BUCKET_ENV]: this.bucket.bucketName,
      ...(props.retentionDays ? { [DOCUMENT_RETENTION_ENV]: String(props.retentionDays) } : {}),
    };
  }

  /**
   * What the API does: issue uploads into `incoming/` (the presigned POST is signed with its role), read
   * and remove them there, copy confirmed ones into `documents/` (with Object Lock retention), read
   * documents (presigned GETs, the hash check, the dossier), and write dossiers.
   */
  grantApi(grantee: IGrantable, role: IConstruct): void {
    const objects = (prefix: string, actions: string[]) =>
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${prefix}*`)] }));
    objects(PREFIX.incoming, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject']);
    objects(PREFIX.documents, ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion']);
    objects(PREFIX.dossiers, ['s3:PutObject', 's3:GetObject']);
    if (this.retentionDays) objects(PREFIX.documents, ['s3:PutObjectRetention']);
    for (const prefix of Object.values(PREFIX)) {
      acknowledgeWildcardResource(
        role,
        this.bucket.arnForObjects(`${prefix}*`),
        `Objects under ${prefix} of the document bucket only; object keys carry per-school and per-upload ids, unknown at deploy time.`,
      );
    }
  }
}
