/**
 * The API thread (api-thread.ts): the local HTTP gateway, the local sign-in pages and the API function,
 * on this thread's own event loop. Started with the gateway's settings; told by the main thread which
 * function to load, when to serve, and when to close.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { createHandler } from '../../functions/api/handler.js';
import { clockOf, type ApiThreadCommand, type ApiThreadLoad, type ApiThreadMessage, type ApiThreadStart } from './api-thread.js';
import { localDirectory } from './directory.js';
import { STARTING, startHttpGateway, type HttpHandler, type LocalRoute } from './http-gateway.js';
import { localSignIn } from './sign-in.js';

const port = parentPort!;
const start = workerData as ApiThreadStart;
const tell = (m: ApiThreadMessage) => port.postMessage(m);

let handler: HttpHandler | undefined;
let signIn: LocalRoute | undefined;
let serving = false;

const gateway = await startHttpGateway({
  handler: async (event, context) => (serving && handler ? handler(event, context) : STARTING),
  port: start.port,
  ...(start.host ? { host: start.host } : {}),
  functionName: start.functionName,
  routes: [(req, res, body) => signIn?.(req, res, body) ?? false],
});
tell({ type: 'listening', url: gateway.url, port: gateway.port, tid: ownTid() });

/** This thread's id in the operating system (Linux: `/proc/thread-self` is `<pid>/task/<tid>`). */
function ownTid(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1)) || undefined;
  } catch {
    return undefined;
  }
}

async function load(load: ApiThreadLoad): Promise<void> {
  // This thread's `process.env` is its own: it becomes exactly the function's environment.
  for (const key of Object.keys(process.env)) if (!(key in load.env)) delete process.env[key];
  Object.assign(process.env, load.env);
  const directory = localDirectory(load.signIn.endpoint, load.signIn.ids);
  signIn = localSignIn(directory, load.signIn.callbackUrls).route;
  const mod = (await import(pathToFileURL(load.entry).href)) as { createHandler?: typeof createHandler };
  if (typeof mod.createHandler !== 'function') throw new Error(`${load.entry} exports no createHandler`);
  handler = mod.createHandler({ clock: clockOf(load.clock) }) as HttpHandler;
}

port.on('message', (command: ApiThreadCommand) => {
  if (command.type === 'load') {
    load(command.load).then(
      () => tell({ type: 'loaded' }),
      (error: unknown) => tell({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  } else if (command.type === 'serve') {
    serving = true;
  } else {
    serving = false;
    void gateway.close().then(() => {
      tell({ type: 'closed' });
      port.close();
    });
  }
});
