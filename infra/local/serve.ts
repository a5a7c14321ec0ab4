/**
 * The process of `npm start` that runs the system (started by start.ts, which keeps the console): the
 * local stack on the data folder, on the demo clock when the data folder has a demo timeline. Its own
 * stdout and stderr are the functions' output, as in Lambda (start.ts sends them to a log file); what is
 * meant for the console (progress lines, the banner) goes to the parent over IPC.
 *
 *   PORT, DATA_DIR as for npm start; POWERTOOLS_LOG_LEVEL (default INFO: every step, in the log file)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Only what starts the service processes is loaded before they start; the rest of the stack loads
// (seconds, on a 2-core machine) while they start.
import { QUICK_START_JAVA_OPTIONS } from './dynamodb-local.js';
import { startLocalServices } from './services.js';

/** Messages of this process to start.ts. */
export type ServeMessage = { type: 'log'; message: string } | { type: 'ready'; banner: string };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = path.resolve(ROOT, process.env.DATA_DIR ?? '.data');
const port = Number(process.env.PORT ?? 3000);

process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';

const send = (m: ServeMessage) => {
  if (process.send) process.send(m);
  else console.log(m.type === 'log' ? m.message : m.banner);
};
const say = (message: string) => send({ type: 'log', message });

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  // DynamoDB Local as a server that starts often and mostly waits (its C1-only JVM answers sooner).
  const services = startLocalServices({ dataDir, dynamodbJavaOptions: QUICK_START_JAVA_OPTIONS });
  const [
    { banner, demoTimeText },
    { startLocalStack },
    { BACKGROUND_NICE },
    { SystemClock },
    { demoClock, readDemoAnchor },
    { REFERENCE_PROGRAM },
  ] = await Promise.all([
    import('./banner.js'),
    import('./stack.js'),
    import('./api-thread.js'),
    import('../../shared/clock.js'),
    import('./demo.js'),
    import('../../shared/program/reference-program.js'),
  ]);
  // Signals are handled from the start: Ctrl-C while starting waits for the start, then stops it all.
  const anchor = readDemoAnchor(dataDir);
  const clock = anchor ? demoClock(anchor) : new SystemClock();
  const starting = startLocalStack({
    dataDir,
    port,
    clock,
    services,
    cdkOut: path.join(dataDir, 'cdk.out'),
    referenceVersion2: 'draft',
    // The API answers on a thread of its own, before the workflows' work in the background (api-thread.ts).
    apiThread: true,
    backgroundNice: BACKGROUND_NICE,
    log: say,
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await (await starting).stop();
    } catch {
      /* a start that failed has stopped what it had started */
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  process.on('disconnect', () => void shutdown()); // start.ts is gone
  const stack = await starting;
  if (stopping) return;

  const time = anchor
    ? `  Demo time      ${demoTimeText(clock.now())} ${REFERENCE_PROGRAM.timeZone}, moving at real speed (history from the program simulation, ${anchor.schools} schools up to ${anchor.demoDate}); delete ${path.relative(ROOT, dataDir)} to start over`
    : `  Time           the system clock (this data folder predates demo timelines; delete ${path.relative(ROOT, dataDir)} for the demo history)`;
  send({ type: 'ready', banner: await banner(stack, { root: ROOT, dataDir, time }) });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
