/**
 * The local stand-in for API Gateway (HTTP API, payload format 2.0): a Node HTTP server that turns each
 * request into an `APIGatewayProxyEventV2`, calls the very handler the Lambda runs, and writes its
 * `APIGatewayProxyResultV2` back. Like API Gateway it refuses bodies over 10 MB (413) and answers 502 when
 * the handler throws, 504 when it takes longer than the integration timeout (30 s).
 *
 * `routes` are served by the gateway itself before the handler sees the request (the local sign-in
 * pages, the local Lambda Invoke API): things that in AWS are other services.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** A route the gateway answers itself; return false to pass the request on to the handler. */
export type LocalRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | Promise<boolean>;

export interface HttpGatewayOptions {
  handler: HttpHandler;
  port?: number;
  host?: string;
  /** The Lambda function name given in the context (and used as the stage's API id). */
  functionName?: string;
  routes?: LocalRoute[];
  maxBodyBytes?: number;
  timeoutMs?: number;
}

export interface HttpGateway {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** The answer to every request while the system is starting: not there yet, never an early 200. */
export const STARTING = {
  statusCode: 503,
  headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
  body: JSON.stringify({ title: 'Starting', status: 503, detail: 'The system is starting; try again in a few seconds.' }),
};

const MAX_BODY = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript|csv))/i;

export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const maxBody = options.maxBodyBytes ?? MAX_BODY;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const functionName = options.functionName ?? 'api';
  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      console.error('[gateway] request failed', error);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) {
      send(res, 413, { message: 'Request Entity Too Large' });
      req.resume();
      return;
    }
    const body = await readBody(req, maxBody);
    if (body === null) {
      send(res, 413, { message: 'Request Entity Too Large' });
      return;
    }
    for (const route of options.routes ?? []) {
      if (await route(req, res, body)) return;
    }
    const event = toEvent(req, body, server);
    const context = lambdaContext(functionName, { timeoutMs, requestId: event.requestContext.requestId });
    let result: APIGatewayProxyResultV2;
    let timer: NodeJS.Timeout | undefined;
    try {
      result = await Promise.race([
        options.handler(event, context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GatewayTimeout()), timeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof GatewayTimeout) {
        send(res, 504, { message: 'Service Unavailable' });
      } else {
        console.error('[gateway] the handler threw', error);
        send(res, 502, { message: 'Internal Server Error' });
      }
      return;
    } finally {
      clearTimeout(timer);
    }
    writeResult(res, result, req.method === 'HEAD');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${!options.host || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

class GatewayTimeout extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Builds the event exactly as API Gateway's HTTP API (payload 2.0, `$default` route) does. */
export function toEvent(req: IncomingMessage, body: Buffer, server?: Server): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rawQueryString = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const now = new Date();
  const requestId = randomUUID();
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const host = headers.host ?? `localhost:${(server?.address() as AddressInfo | null)?.port ?? 0}`;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers: { ...headers, 'x-forwarded-for': sourceIp, 'x-forwarded-proto': 'http' },
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host.split(':')[0] ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: formatClf(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2, head: boolean): void {
  if (typeof result === 'string' || result === null || result === undefined || typeof result !== 'object' || !('statusCode' in result)) {
    // API Gateway's rule for a result without statusCode: the value, as Lambda serialises it (JSON), is
    // the body of a 200.
    const text = JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(head ? undefined : text);
    return;
  }
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : Buffer.from(result.body, 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  headers['content-length'] = String(body.length);
  delete headers['transfer-encoding'];
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(head ? undefined : body);
}

function send(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function formatClf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
