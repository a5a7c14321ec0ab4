/**
 * `npm run bench -- calls`: the service calls of an accepted command (submit, reject, sign-off, accept)
 * before its answer and after it, counted on the real local stack (DynamoDB Local, the local Step
 * Functions runtime, the table's stream to the signal dispatcher) by wrapping the SDK clients' `send`
 * (test/support/command-calls.ts). Each command goes over HTTP to the API and is followed until the
 * school's workflow waits again.
 *
 * The baseline, in the same run, on other schools of the same stack: the path commands took before, the
 * same command service with the signal delivered before the answer (as the bulk jobs still deliver it)
 * and the submission's documents read with a Query of their own (a store that hides the milestone
 * item's list of its documents), run in this process.
 *
 * Also printed: the time from the answer to the dispatcher's call to the waiting step, and to the
 * workflow waiting again (the local stream is read every 250 ms).
 */
import './quiet.helpers.js';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import { createCommandService } from '../../shared/commands/execute.js';
import type { Actor, Command } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { programWaits } from '../../shared/store/program-wait.js';
import type { MilestoneStore, TaskPhase } from '../../shared/store/index.js';
import { uploadRequiredDocumentsAs } from '../support/uploads.js';
import { recordCalls, settle, timedCommand, type CallRecorder, type TimedCommand } from '../support/command-calls.js';

const SCHOOLS_PER_PATH = Number(process.env.BENCH_CALLS_SCHOOLS ?? 3);
const CONNECTION = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Step {
  name: 'submit' | 'reject' | 'signoff' | 'accept';
  command: Command;
  as: 'contractor' | 'manager' | 'staff';
  then: TaskPhase | null;
}

const todayInOmsk = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Omsk', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
  new Date(),
);
const evidence = { kind: 'connection', actNumber: 'АКТ-1', actDate: todayInOmsk, bandwidthMbps: 120 } as const;
const STEPS: Step[] = [
  { name: 'submit', command: { type: 'submit', evidence } as Command, as: 'contractor', then: 'acceptance' },
  { name: 'reject', command: { type: 'reject', reason: 'Акт не подписан' }, as: 'manager', then: 'submission' },
  { name: 'submit', command: { type: 'submit', evidence } as Command, as: 'contractor', then: 'acceptance' },
  { name: 'signoff', command: { type: 'signoff', measuredMbps: 110 } as Command, as: 'staff', then: 'acceptance' },
  { name: 'accept', command: { type: 'accept', note: 'Скорость подтверждена' } as Command, as: 'manager', then: null },
];

console.log(`starting the local stack (20 schools, in memory) … load average ${loadavg()}`);
const stack = await startLocalStack({ seed: { seed: 1, schools: 20 }, startWorkflows: false, rateLimit: false });
const recorder = recordCalls(stack);
try {
  const schools = (await stack.store.listAllSchools({ limit: 100 })).items.slice(0, 2 * SCHOOLS_PER_PATH);
  const managerToken = await stack.token({ role: 'program-manager', sub: 'calls-manager' });
  const results: Record<'today' | 'now', Map<string, TimedCommand[]>> = { today: new Map(), now: new Map() };
  const note = (path: 'today' | 'now', name: string, r: TimedCommand) => results[path].set(name, [...(results[path].get(name) ?? []), r]);

  const lifecycleArn = stack.runtime.listStateMachines().stateMachines.find((m) => /lifecycle/i.test(m.name ?? ''))?.stateMachineArn;
  const signal = createWorkflowSignal({
    sfn: new SFNClient({ endpoint: stack.sfnEndpoint }),
    store: stack.store,
    stateMachineArn: stack.schoolProgramArn,
    lifecycleStateMachineArn: lifecycleArn,
    programWaits: programWaits(stack.dynamodb, stack.tableName),
    log: () => undefined,
  });
  // Before: the milestone item did not list its documents; a submission read them with a Query of their own.
  const storeBefore: MilestoneStore = new Proxy(stack.store, {
    get(target, key, receiver) {
      if (key === 'getSchool') {
        return async (id: string) => {
          const record = await target.getSchool(id);
          return record && { ...record, milestones: record.milestones.map(({ state, task }) => ({ state, task })) };
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const before = createCommandService({ store: storeBefore, program: REFERENCE_PROGRAM, clock: stack.clock, signals: signal });

  for (const [i, school] of schools.entries()) {
    const path: 'today' | 'now' = i % 2 === 0 ? 'now' : 'today';
    const base = `/api/schools/${school.id}/milestones/connection`;
    // Started over HTTP (the school's first command starts its workflow), then its documents uploaded.
    const started = await timedCommand(stack, recorder, school.id, 'connection', {
      path: `${base}/start`,
      token: managerToken,
      body: {},
      then: 'submission',
    });
    note('now', 'start', started);
    const assignee = (await stack.store.getMilestone(school.id, 'connection'))!.state.assignee!;
    const tokens = {
      contractor: await stack.token({ role: 'contractor', sub: `calls-${assignee}`, org: assignee }),
      manager: managerToken,
      staff: await stack.token({ role: 'school-staff', sub: `calls-director-${school.id}`, school: school.id }),
    };
    const actors: Record<Step['as'], Actor> = {
      contractor: { role: 'contractor', sub: `calls-${assignee}`, org: assignee },
      manager: { role: 'program-manager', sub: 'calls-manager' },
      staff: { role: 'school-staff', sub: `calls-director-${school.id}`, school: school.id },
    };
    await uploadRequiredDocumentsAs(
      async (p, body) => {
        const res = await fetch(`${stack.url}${p}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.contractor}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : null };
      },
      CONNECTION,
      school.id,
    );

    for (const step of STEPS) {
      if (path === 'now') {
        note(
          'now',
          step.name,
          await timedCommand(stack, recorder, school.id, 'connection', {
            path: `${base}/${step.name}`,
            token: tokens[step.as],
            body: Object.fromEntries(Object.entries(step.command).filter(([k]) => k !== 'type')),
            then: step.then,
          }),
        );
      } else {
        await runBefore(stack, recorder, before, school.id, step, actors[step.as], note);
      }
    }
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  // After the answer: the signal dispatcher's calls and the workflow steps' (the notification dispatcher
  // runs beside them whatever the path, and its stream poll falls inside one window or the next: left out).
  const steps = (r: TimedCommand) =>
    Object.entries(r.after)
      .filter(([fn]) => fn.startsWith('workflow-') && fn !== 'workflow-signals')
      .reduce((n, [, c]) => n + c.length, 0);
  const summary = (rs: TimedCommand[]) => {
    const counts = rs.map((r) => r.before.length);
    const dispatcher = rs.map((r) => r.after['workflow-signals']?.length ?? 0);
    const workflow = rs.map(steps);
    const total = rs.map((r, i) => counts[i]! + dispatcher[i]! + workflow[i]!);
    return { counts, dispatcher, workflow, total, sample: rs[0]! };
  };
  console.log(`\nService calls per accepted command (${SCHOOLS_PER_PATH} schools per path, medians; load average ${loadavg()}):`);
  console.log(
    `  ${'command'.padEnd(8)} ${'path'.padEnd(6)} ${'before the answer'.padEnd(18)} ${'after: dispatcher'.padEnd(18)} ${'after: workflow'.padEnd(16)} ${'total'.padEnd(6)} calls before the answer`,
  );
  const ratios: string[] = [];
  for (const name of ['submit', 'reject', 'signoff', 'accept', 'start']) {
    const rows = (['today', 'now'] as const).flatMap((path) => {
      const rs = results[path].get(name);
      return rs ? [[path, summary(rs)] as const] : [];
    });
    for (const [path, s] of rows) {
      console.log(
        `  ${name.padEnd(8)} ${path.padEnd(6)} ${String(median(s.counts)).padEnd(18)} ${String(median(s.dispatcher)).padEnd(18)} ${String(median(s.workflow)).padEnd(16)} ${String(median(s.total)).padEnd(6)} ${s.sample.before.join(', ')}`,
      );
    }
    const was = rows.find(([p]) => p === 'today')?.[1];
    const is = rows.find(([p]) => p === 'now')?.[1];
    if (was && is)
      ratios.push(`${name} ${median(is.counts)}/${median(was.counts)} = ${(median(is.counts) / median(was.counts)).toFixed(2)}`);
  }
  console.log(`  before the answer, now against the baseline: ${ratios.join('; ')}`);
  for (const path of ['today', 'now'] as const) {
    const sample = results[path].get('submit')![0]!;
    const after = Object.entries(sample.after)
      .filter(([fn]) => fn.startsWith('workflow-'))
      .map(([fn, calls]) => `${fn}: ${calls.join(', ')}`);
    console.log(`  a submission's calls after the answer, ${path}: ${after.join('; ') || 'none'}`);
  }
  const now = [...results.now.entries()].filter(([n]) => n !== 'start').flatMap(([, rs]) => rs);
  const toSignal = now.flatMap((r) => (r.toSignal === null ? [] : [r.toSignal]));
  const toSettled = now.map((r) => r.toSettled);
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.length} commands)`;
  console.log(`  answer → the dispatcher signals the waiting step: ${fmt(toSignal)}`);
  console.log(`  answer → the workflow waits again (or has closed the milestone): ${fmt(toSettled)}`);
  const baseline = [...results.today.values()].flat().map((r) => r.toSettled);
  console.log(`  baseline: the command's own answer → the workflow waits again: ${fmt(baseline)}`);
  console.log(`load average at the end ${loadavg()}`);
} finally {
  recorder.stop();
  await stack.stop();
}

/** One command on the path before: in this process, the signal delivered before the command returns. */
async function runBefore(
  stack: LocalStack,
  recorder: CallRecorder,
  service: ReturnType<typeof createCommandService>,
  schoolId: string,
  step: Step,
  actor: Actor,
  note: (path: 'today', name: string, r: TimedCommand) => void,
): Promise<void> {
  const startIndex = recorder.calls.length;
  const { outcome } = await recorder.within('before', () =>
    service.execute({ schoolId, milestone: 'connection', command: step.command, actor }),
  );
  const answeredAt = performance.now();
  if (!outcome.ok) throw new Error(`${step.name}: ${outcome.message}`);
  const answerIndex = recorder.calls.length;
  note(
    'today',
    step.name,
    await settle(
      stack,
      recorder,
      schoolId,
      'connection',
      step.then,
      outcome.state.version,
      { startIndex, answerIndex, answeredAt, status: 200 },
      (c) => c.scope === 'before',
    ),
  );
}
