/**
 * The Step Functions API subset over HTTP, wire-compatible with `@aws-sdk/client-sfn`: AWS JSON 1.0
 * (`POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`, `application/x-amz-json-1.0`), errors as
 * `{"__type": "<Code>", "message": "..."}` with HTTP 400. Timestamps are epoch seconds. Requests are
 * not authenticated (the SDK's SigV4 headers are accepted and ignored). Listens on loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './errors.js';
import type { Runtime } from './runtime.js';

export interface SfnApiServer {
  /** `http://127.0.0.1:<port>`: the endpoint to give an SFNClient. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

type Handler = (runtime: Runtime, body: Record<string, unknown>) => unknown;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function required(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0)
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return v;
}

const operations: Record<string, Handler> = {
  CreateStateMachine: (rt, b) =>
    rt.createStateMachine({
      name: required(b, 'name'),
      definition: required(b, 'definition'),
      ...(str(b.roleArn) ? { roleArn: str(b.roleArn)! } : {}),
      ...(str(b.type) ? { type: str(b.type)! } : {}),
      ...(Array.isArray(b.tags) ? { tags: b.tags as { key?: string; value?: string }[] } : {}),
    }),
  UpdateStateMachine: (rt, b) =>
    rt.updateStateMachine({
      stateMachineArn: required(b, 'stateMachineArn'),
      ...(str(b.definition) ? { definition: str(b.definition)! } : {}),
      ...(str(b.roleArn) ? { roleArn: str(b.roleArn)! } : {}),
    }),
  DescribeStateMachine: (rt, b) => rt.describeStateMachine({ stateMachineArn: required(b, 'stateMachineArn') }),
  ListStateMachines: (rt, b) =>
    rt.listStateMachines({
      ...(num(b.maxResults) !== undefined ? { maxResults: num(b.maxResults)! } : {}),
      ...(str(b.nextToken) ? { nextToken: str(b.nextToken)! } : {}),
    }),
  StartExecution: (rt, b) =>
    rt.startExecution({
      stateMachineArn: required(b, 'stateMachineArn'),
      ...(str(b.name) ? { name: str(b.name)! } : {}),
      ...(str(b.input) !== undefined ? { input: str(b.input)! } : {}),
    }),
  DescribeExecution: (rt, b) => rt.describeExecution({ executionArn: required(b, 'executionArn') }),
  ListExecutions: (rt, b) =>
    rt.listExecutions({
      stateMachineArn: required(b, 'stateMachineArn'),
      ...(str(b.statusFilter) ? { statusFilter: str(b.statusFilter) as never } : {}),
      ...(num(b.maxResults) !== undefined ? { maxResults: num(b.maxResults)! } : {}),
      ...(str(b.nextToken) ? { nextToken: str(b.nextToken)! } : {}),
    }),
  GetExecutionHistory: (rt, b) =>
    rt.getExecutionHistory({
      executionArn: required(b, 'executionArn'),
      ...(num(b.maxResults) !== undefined ? { maxResults: num(b.maxResults)! } : {}),
      ...(str(b.nextToken) ? { nextToken: str(b.nextToken)! } : {}),
      ...(b.reverseOrder === true ? { reverseOrder: true } : {}),
    }),
  StopExecution: (rt, b) =>
    rt.stopExecution({
      executionArn: required(b, 'executionArn'),
      ...(str(b.error) !== undefined ? { error: str(b.error)! } : {}),
      ...(str(b.cause) !== undefined ? { cause: str(b.cause)! } : {}),
    }),
  SendTaskSuccess: (rt, b) => rt.sendTaskSuccess({ taskToken: required(b, 'taskToken'), output: required(b, 'output') }),
  SendTaskFailure: (rt, b) =>
    rt.sendTaskFailure({
      taskToken: required(b, 'taskToken'),
      ...(str(b.error) !== undefined ? { error: str(b.error)! } : {}),
      ...(str(b.cause) !== undefined ? { cause: str(b.cause)! } : {}),
    }),
  SendTaskHeartbeat: (rt, b) => rt.sendTaskHeartbeat({ taskToken: required(b, 'taskToken') }),
  DeleteStateMachine: (rt, b) => rt.deleteStateMachine({ stateMachineArn: required(b, 'stateMachineArn') }),
  DescribeStateMachineForExecution: (rt, b) => rt.describeStateMachineForExecution({ executionArn: required(b, 'executionArn') }),
  TagResource: (rt, b) =>
    rt.tagResource({ resourceArn: required(b, 'resourceArn'), tags: list(b, 'tags') as { key?: string; value?: string }[] }),
  UntagResource: (rt, b) =>
    rt.untagResource({
      resourceArn: required(b, 'resourceArn'),
      tagKeys: list(b, 'tagKeys').filter((k): k is string => typeof k === 'string'),
    }),
  ListTagsForResource: (rt, b) => rt.listTagsForResource({ resourceArn: required(b, 'resourceArn') }),
  RedriveExecution: (rt, b) => rt.redriveExecution({ executionArn: required(b, 'executionArn') }),
  ValidateStateMachineDefinition: (rt, b) => {
    if (typeof b.definition !== 'string') required(b, 'definition');
    return rt.validateStateMachineDefinition({
      definition: b.definition as string,
      ...(num(b.maxResults) !== undefined ? { maxResults: num(b.maxResults)! } : {}),
      ...(str(b.severity) ? { severity: str(b.severity)! } : {}),
    });
  },
  TestState: (rt, b) =>
    rt.testState({
      definition: required(b, 'definition'),
      ...(str(b.input) !== undefined ? { input: str(b.input)! } : {}),
      ...(str(b.inspectionLevel) ? { inspectionLevel: str(b.inspectionLevel) as never } : {}),
      ...(str(b.roleArn) ? { roleArn: str(b.roleArn)! } : {}),
      ...(str(b.stateName) ? { stateName: str(b.stateName)! } : {}),
      ...(str(b.variables) !== undefined ? { variables: str(b.variables)! } : {}),
      ...(b.mock && typeof b.mock === 'object' ? { mock: b.mock as never } : {}),
      ...(str(b.context) !== undefined ? { context: str(b.context)! } : {}),
      ...(b.stateConfiguration && typeof b.stateConfiguration === 'object' ? { stateConfiguration: b.stateConfiguration as never } : {}),
    }),
};

function list(body: Record<string, unknown>, field: string): unknown[] {
  const v = body[field];
  if (!Array.isArray(v))
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return v;
}

/** Dates become epoch seconds (the AWS JSON protocol's timestamp format). */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let requestCounter = 0;

/** Handles one request (exported for servers that mount the API themselves). */
export async function handleSfnRequest(runtime: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = `local-${process.pid}-${++requestCounter}`;
  try {
    if (req.method !== 'POST') throw new ApiError('UnknownOperationException', `Only POST is supported, not ${req.method}`);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const handler = operations[op];
    if (!handler) throw new ApiError('UnknownOperationException', `Unknown or unsupported operation: ${target || '(no X-Amz-Target)'}`);
    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      throw new ApiError('SerializationException', 'The request body is not valid JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new ApiError('SerializationException', 'The request body must be a JSON object');
    const result = await handler(runtime, body);
    send(res, 200, toWire(result), requestId);
  } catch (err) {
    if (err instanceof ApiError) send(res, err.status, { __type: err.code, message: err.message }, requestId);
    else send(res, 500, { __type: 'InternalFailure', message: err instanceof Error ? err.message : String(err) }, requestId);
  }
}

/** Serves the runtime's API on a loopback port (0 = any free port). */
export function serveSfnApi(runtime: Runtime, options: { port?: number; host?: string } = {}): Promise<SfnApiServer> {
  const server = createServer((req, res) => void handleSfnRequest(runtime, req, res));
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
