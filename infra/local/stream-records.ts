/**
 * GetRecords for the local event source mappings, with the records as the stream sends them.
 *
 * In AWS the Lambda service reads a table's stream and hands the function the records in the stream's
 * own JSON (images as attribute-value maps, binary values in base64, the creation time in epoch
 * seconds). Locally `events.ts` plays that service. Through the SDK's client, every record of every
 * poll was deserialized into the SDK's shapes (each attribute value through the protocol's schema)
 * and then turned back into that JSON for the handler: every record of the table's stream, since the
 * filters apply after the read, once per mapping. Read with `JSON.parse` instead, the same 20,000
 * records cost the poller 0.7 s of CPU instead of 1.6 s.
 *
 * The request is the SDK's: signed with the client's credentials, region and hash (`SignatureV4`, as
 * the client signs), sent to the client's endpoint over a kept-alive connection. Only the reading of
 * the answer is this module's. Errors carry the service's error type as their `name`
 * (`ExpiredIteratorException`, `TrimmedDataAccessException`, …), as the SDK's exceptions do.
 */
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SignatureV4 } from '@smithy/signature-v4';
import http from 'node:http';
import https from 'node:https';

/** A stream record as the stream sends it, which is how Lambda hands it to a function. */
export interface StreamRecord {
  eventID?: string;
  eventName?: string;
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  dynamodb?: {
    /** Epoch seconds. */
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    SequenceNumber?: string;
    SizeBytes?: number;
    StreamViewType?: string;
  };
}

export interface RecordsPage {
  Records: StreamRecord[];
  /** Absent: the shard is closed and read to its end. */
  NextShardIterator?: string;
}

/** An error answer of the stream's API: `name` is the service's error type. */
export class StreamApiError extends Error {
  constructor(
    name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = name;
  }
}

export interface RecordReader {
  getRecords(shardIterator: string, limit: number): Promise<RecordsPage>;
  destroy(): void;
}

/** Reads records through `client`'s endpoint, credentials and region. */
export function recordReader(client: DynamoDBStreamsClient): RecordReader {
  const config = client.config;
  const signer = new SignatureV4({
    credentials: config.credentials,
    region: config.region,
    service: 'dynamodb',
    sha256: config.sha256,
  });
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  async function getRecords(shardIterator: string, limit: number): Promise<RecordsPage> {
    const endpoint = await config.endpoint?.();
    if (!endpoint) throw new Error('the stream client has no endpoint');
    const body = JSON.stringify({ ShardIterator: shardIterator, Limit: limit });
    const host = endpoint.port ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname;
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: endpoint.port } : {}),
      path: endpoint.path,
      query: {},
      headers: {
        host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDBStreams_20120810.GetRecords',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const secure = endpoint.protocol === 'https:';
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = (secure ? https : http).request(
        {
          method: 'POST',
          hostname: endpoint.hostname,
          ...(endpoint.port ? { port: endpoint.port } : {}),
          path: endpoint.path,
          headers: signed.headers,
          agent: secure ? agents.https : agents.http,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    if (status !== 200) {
      let type = 'StreamApiError';
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
        type = parsed.__type?.split('#').pop() || type;
        message = parsed.message ?? parsed.Message ?? message;
      } catch {
        // not JSON: the text itself is the message
      }
      throw new StreamApiError(type, `GetRecords: ${status} ${type}: ${message}`, status);
    }
    const page = JSON.parse(text) as { Records?: StreamRecord[]; NextShardIterator?: string };
    return { Records: page.Records ?? [], ...(page.NextShardIterator ? { NextShardIterator: page.NextShardIterator } : {}) };
  }

  return {
    getRecords,
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
