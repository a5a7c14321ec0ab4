/**
 * GetRecords for the local event source mappings, with the records as the stream sends them.
 *
 * In AWS the Lambda service reads a table's stream and hands the function the records in the stream's
 * own JSON (images as attribute-value maps, binary values in base64, the creation time in epoch
 * seconds). Locally `events.ts` plays that service. Through the SDK's client, every record of every
 * poll was deserialized into the SDK's shapes (each attribute value through the protocol's schema)
 * and then turned back into that JSON for the handler: every record of the table's stream, since the
 * filters apply after the read, once per mapping. Read with `JSON.parse` instead, they cost the poller
 * about 0.4 of the CPU (`npm run bench -- streams`).
 *
 * The request is the SDK's: signed with the client's credentials, region and hash (`SignatureV4`, as
 * the client signs), sent by the client's own HTTP handler to its endpoint. Only the reading of the
 * answer is this module's. Errors carry the service's error type as their `name`
 * (`ExpiredIteratorException`, `TrimmedDataAccessException`, …), as the SDK's exceptions do.
 */
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SignatureV4 } from '@smithy/signature-v4';

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
  /** Its connections are the client's: `client.destroy()` closes them. */
  getRecords(shardIterator: string, limit: number): Promise<RecordsPage>;
}

/** Reads records through `client`'s endpoint, credentials, region and HTTP handler. */
export function recordReader(client: DynamoDBStreamsClient): RecordReader {
  const config = client.config;
  const signer = new SignatureV4({
    credentials: config.credentials,
    region: config.region,
    service: 'dynamodb',
    sha256: config.sha256,
  });

  async function getRecords(shardIterator: string, limit: number): Promise<RecordsPage> {
    const endpoint = await config.endpoint?.();
    if (!endpoint) throw new Error('the stream client has no endpoint');
    const body = JSON.stringify({ ShardIterator: shardIterator, Limit: limit });
    const request = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: endpoint.port } : {}),
      path: endpoint.path,
      query: {},
      headers: {
        host: endpoint.port ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDBStreams_20120810.GetRecords',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    // The client's own HTTP handler (its kept-alive connections) and body reader.
    const { response } = await config.requestHandler.handle(request);
    const text = Buffer.from(await config.streamCollector(response.body)).toString('utf8');
    if (response.statusCode !== 200) {
      let type = 'StreamApiError';
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
        type = parsed.__type?.split('#').pop() || type;
        message = parsed.message ?? parsed.Message ?? message;
      } catch {
        // not JSON: the text itself is the message
      }
      throw new StreamApiError(type, `GetRecords: ${response.statusCode} ${type}: ${message}`, response.statusCode);
    }
    const page = JSON.parse(text) as { Records?: StreamRecord[]; NextShardIterator?: string };
    return { Records: page.Records ?? [], ...(page.NextShardIterator ? { NextShardIterator: page.NextShardIterator } : {}) };
  }

  return { getRecords };
}
