/**
 * What the API benchmarks share: the local stack with the 750 demo schools, the connection milestones
 * started for the writes (each with its school's workflow running), the callers' tokens, and the load
 * generator run as a process of its own.
 */
// First: the functions' own logs (every workflow step, every signal) would drown the figures; their
// loggers read the level when their modules load.
import './quiet.helpers.js';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import { fileURLToPath } from 'node:url';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { BACKGROUND_NICE } from '../../infra/local/api-thread.js';
import type { Caller } from './load.helpers.js';
import { uploadRequiredDocumentsAs } from '../support/uploads.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { mapLimit } from '../../shared/map-limit.js';

export interface ApiBenchSetup {
  stack: LocalStack;
  schoolIds: string[];
  districts: string[];
  /** The callers (`callers` of them), the write targets dealt among them. */
  perClient: Caller[];
}

/** Starts the stack and prepares `writeSchools` connection milestones for the writes, dealt among `callers` callers. */
export async function setUpApiBench(callers: number, writeSchools: number): Promise<ApiBenchSetup> {
  // Before the stack lowers this thread's priority: the load generators stand in for the users' browsers
  // and are started at the machine's normal priority, not the background's (see startLauncher).
  // BENCH_GENERATOR_BACKGROUND=1 starts them from the lowered thread instead, as before.
  if (process.env.BENCH_GENERATOR_BACKGROUND !== '1') startLauncher();
  console.log(`starting the local stack (750 schools) …`);
  // As npm start runs it: the API on a thread of its own, the background at a lower priority.
  // BENCH_API_THREAD=0 runs the API on the main thread, with the workflows, as before;
  // BENCH_BACKGROUND_NICE=0 keeps the thread but leaves the background's priority alone.
  const apiThread = process.env.BENCH_API_THREAD !== '0';
  const backgroundNice = Number(process.env.BENCH_BACKGROUND_NICE ?? BACKGROUND_NICE);
  console.log(
    apiThread
      ? `the API on a thread of its own, the background at nice ${backgroundNice}`
      : 'the API on the main thread, with the workflows (BENCH_API_THREAD=0)',
  );
  const stack = await startLocalStack({
    seed: { seed: 1 },
    startWorkflows: false,
    rateLimit: { perSecond: 2000, burst: 4000 },
    ...(apiThread ? { apiThread, backgroundNice } : {}),
  });
  try {
    const schools = (await stack.store.listAllSchools({ limit: 1000 })).items;
    const districts = [...new Set(schools.map((s) => s.district))];
    const manager = await stack.token({ role: 'program-manager', sub: 'bench-setup' });

    // Writes need active milestones. The write schools' workflows are started first, as the seeding of
    // `npm start` starts every school's (a command that finds none starts it, with a warning each); each
    // program starts the connection if its planned start has come, otherwise the manager starts it. Either
    // way its lifecycle then waits for the contractor's submission.
    const writeTo = schools.slice(0, writeSchools);
    if (stack.schoolProgramArn) {
      const sfn = new SFNClient({ endpoint: stack.sfnEndpoint });
      const signal = createWorkflowSignal({ sfn, store: stack.store, stateMachineArn: stack.schoolProgramArn });
      try {
        await mapLimit(writeTo, 8, (school) => signal.ensureExecution(school.id));
      } finally {
        sfn.destroy();
      }
      await stack.runtime.idle();
    }
    const targets: { schoolId: string; org: string }[] = [];
    for (const school of writeTo) {
      const started = (await stack.store.getMilestone(school.id, 'connection'))?.state;
      if (started?.status === 'active' && started.assignee) {
        targets.push({ schoolId: school.id, org: started.assignee });
        continue;
      }
      const res = await fetch(`${stack.url}/api/schools/${school.id}/milestones/connection/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const json = (await res.json()) as { milestone?: { assignee: string | null } };
      if (res.status === 200 && json.milestone?.assignee) targets.push({ schoolId: school.id, org: json.milestone.assignee });
    }
    console.log(`${targets.length} connection milestones started for the writes; their workflows are running`);

    // One user per contractor organisation, made one at a time (the directory refuses a user made twice at once).
    const orgTokens = new Map<string, string>();
    for (const org of new Set(targets.map((t) => t.org)))
      orgTokens.set(org, await stack.token({ role: 'contractor', sub: `bench-contractor-${org}`, org }));

    // A submission needs the evidence documents its milestone requires. A contractor uploads them once
    // per milestone (presigned POST to the bucket, then the confirmation); they stay attached through a
    // rejection, so every later submission of the same milestone carries them, as a resubmission does.
    // Uploaded here, before the clock starts: the benchmarks measure the API's reads and commands, not
    // the bucket's uploads.
    const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
    await mapLimit(targets, 8, (t) => {
      const token = orgTokens.get(t.org)!;
      return uploadRequiredDocumentsAs(
        async (path, body) => {
          const res = await fetch(`${stack.url}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          const text = await res.text();
          return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : null };
        },
        connection,
        t.schoolId,
      );
    });
    console.log(`their required documents uploaded (${connection.documents.filter((r) => r.required).length} per milestone)`);
    const perClient: Caller[] = [];
    for (let i = 0; i < callers; i++) {
      const mine = targets.filter((_, j) => j % callers === i);
      const someOrg = mine[0]?.org ?? targets[i % targets.length]!.org;
      perClient.push({
        managerToken: await stack.token({ role: 'program-manager', sub: `bench-manager-${i}` }),
        contractorToken: await stack.token({ role: 'contractor', sub: `bench-contractor-${i}`, org: someOrg }),
        targets: mine.map((t) => ({ schoolId: t.schoolId, contractorToken: orgTokens.get(t.org)! })),
      });
    }
    return { stack, schoolIds: schools.map((s) => s.id), districts, perClient };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/**
 * A thread that starts the load generator processes. A process inherits the nice value of the thread
 * that starts it, and the stack lowers this process's main thread (the background: workflows, runtime,
 * dispatchers) once it serves: a generator started from there would run at the background's priority
 * and its own delays would count in every latency, as no user's browser shares the server's CPU. Started
 * before the stack, this thread keeps the priority the process started with, and so do the generators.
 */
let launcher: { worker: Worker; nice: number } | undefined;
function startLauncher(): { worker: Worker; nice: number } {
  if (launcher) return launcher;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const { spawn } = require('node:child_process');
     parentPort.on('message', ({ id, command, args, input }) => {
       const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
       let out = '';
       child.stdout.on('data', (c) => (out += c.toString()));
       child.on('error', (error) => parentPort.postMessage({ id, error: String(error) }));
       child.on('exit', (code) => parentPort.postMessage({ id, code, out }));
       child.stdin.end(input);
     });`,
    { eval: true },
  );
  worker.unref();
  launcher = { worker, nice: getPriority(0) };
  return launcher;
}

let launched = 0;
let inFlight = 0;
/** Runs a load generator script (`node --import tsx <script>`, the plan as JSON on stdin, the result as JSON on stdout). */
export function runLoadProcess<Plan, Result>(script: URL, plan: Plan): Promise<Result> {
  const { worker } = startLauncher();
  const id = ++launched;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id: number; code?: number | null; out?: string; error?: string }) => {
      if (m.id !== id) return;
      worker.off('message', onMessage);
      if (--inFlight === 0) worker.unref();
      if (m.error !== undefined) reject(new Error(m.error));
      else if (m.code !== 0) reject(new Error(`load generator exited with ${m.code}`));
      else resolve(JSON.parse(m.out ?? '') as Result);
    };
    worker.on('message', onMessage);
    if (inFlight++ === 0) worker.ref(); // until every generator has answered
    worker.postMessage({ id, command: process.execPath, args: ['--import', 'tsx', fileURLToPath(script)], input: JSON.stringify(plan) });
  });
}

/** The nice value the load generators start with (the process's, before the stack lowered its main thread). */
export const generatorNice = (): number | undefined => launcher?.nice;
