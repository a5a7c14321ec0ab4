/**
 * The Lambda Invoke API subset over HTTP, for `@aws-sdk/client-lambda` pointed at it with
 * AWS_ENDPOINT_URL_LAMBDA: `POST /2015-03-31/functions/{FunctionName}/invocations` with
 * `X-Amz-Invocation-Type` `RequestResponse` (default: 200 with the result; a thrown error is
 * `X-Amz-Function-Error: Unhandled` with Lambda's error document) or `Event` (202 at once, the handler
 * runs in the background; a failure is logged and retried twice, as Lambda does, with 1 s and 2 s pauses)
 * or `DryRun` (204). Functions are the in-process handlers of a registry; signatures are ignored.
 * Listens on loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

export type InvokeHandler = (event: unknown, context: Context) => Promise<unknown> | unknown;

export interface LocalFunctions {
  resolve(name: string): { name: string; handler: InvokeHandler; timeoutSeconds?: number } | undefined;
}

export interface LambdaApiServer {
  readonly endpoint: string;
  readonly port: number;
  /** Resolves when every background (Event) invocation started so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function serveLambdaApi(
  functions: LocalFunctions,
  options: { port?: number; host?: string; retryDelaysMs?: number[] } = {},
): Promise<LambdaApiServer> {
  const background = new Set<Promise<void>>();
  const retryDelays = options.retryDelaysMs ?? [1000, 2000];
  let closing = false;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, { Type: 'Service', Message: String(error) }, { 'x-amzn-errortype': 'ServiceException' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = PATH.exec(url.pathname);
    const body = await read(req);
    if (req.method !== 'POST' || !match) {
      sendJson(
        res,
        404,
        { Type: 'User', message: `Unsupported operation ${req.method} ${url.pathname}` },
        { 'x-amzn-errortype': 'UnknownOperationException' },
      );
      return;
    }
    const name = decodeURIComponent(match[1]!);
    const fn = functions.resolve(name);
    if (!fn) {
      sendJson(res, 404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    let event: unknown = null;
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        sendJson(
          res,
          400,
          { Type: 'User', message: 'Could not parse request body into json' },
          { 'x-amzn-errortype': 'InvalidRequestContentException' },
        );
        return;
      }
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') {
      res.writeHead(204).end();
      return;
    }
    if (type === 'Event') {
      res.writeHead(202, { 'x-amzn-requestid': randomUUID(), 'content-length': '0' }).end();
      const run = (async () => {
        for (let attempt = 0; ; attempt++) {
          if (closing) return;
          try {
            await fn.handler(event, lambdaContext(fn.name, { timeoutMs: (fn.timeoutSeconds ?? 900) * 1000 }));
            return;
          } catch (error) {
            console.error(
              JSON.stringify({
                level: 'ERROR',
                message: 'asynchronous invocation failed',
                function: fn.name,
                attempt: attempt + 1,
                error: String(error),
              }),
            );
            const pause = retryDelays[attempt];
            if (pause === undefined) return;
            await new Promise((r) => setTimeout(r, pause));
          }
        }
      })();
      background.add(run);
      void run.finally(() => background.delete(run));
      return;
    }
    if (type !== 'RequestResponse') {
      sendJson(
        res,
        400,
        { Type: 'User', message: `Invalid invocation type ${type}` },
        { 'x-amzn-errortype': 'InvalidParameterValueException' },
      );
      return;
    }
    try {
      const result = await fn.handler(event, lambdaContext(fn.name, { timeoutMs: (fn.timeoutSeconds ?? 900) * 1000 }));
      const text = result === undefined ? 'null' : JSON.stringify(result);
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'x-amz-executed-version': '$LATEST',
          'content-length': Buffer.byteLength(text),
        })
        .end(text);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      sendJson(
        res,
        200,
        {
          errorMessage: err.message,
          errorType: err.name,
          stackTrace: (err.stack ?? '')
            .split('\n')
            .slice(1)
            .map((l) => l.trim()),
        },
        { 'x-amz-function-error': 'Unhandled' },
      );
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    idle: async () => {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    close: async () => {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...background]);
    },
  };
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}
