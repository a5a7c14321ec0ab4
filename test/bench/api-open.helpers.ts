/**
 * The open-loop load generator of `bench api-open`, run as its own process (`node --import tsx
 * test/bench/api-open.helpers.ts`, the plan as JSON on stdin, the result as one JSON line on stdout).
 *
 * Requests are scheduled by the clock, not by the answers: request i is due at t0 + i / rate, whether or
 * not the earlier ones were answered, and its latency is measured from that due time. A server that
 * stalls for a second therefore shows a second of latency on every request due meanwhile, instead of
 * one slow request (coordinated omission). The requests go through undici's Pool (enough connections
 * that none waits for one at the offered rate; if one does, the wait is in the latency).
 *
 * The sequence of kinds is drawn from a seeded generator, so every phase of a run (and every run) offers
 * the same sequence. Writes go to the caller's connection milestones: the contractor submits, the
 * manager rejects, in turn; a milestone with a write in flight is skipped for the next idle one (two
 * writes on one milestone at once would only measure a version conflict).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { connectionEvidence, loadProcessMain, type Caller } from './load.helpers.js';

export interface OpenLoopPlan {
  url: string;
  /** Offered requests per second. */
  rate: number;
  seconds: number;
  /** `mixed`: the API's reads and writes; `healthz`: every request GET /healthz (the baseline). */
  phase: 'mixed' | 'healthz';
  writeShare: number;
  seed: number;
  perClient: Caller[];
  schoolIds: string[];
  districts: string[];
}

export interface OpenLoopResult {
  phase: OpenLoopPlan['phase'];
  seconds: number;
  offered: number;
  /** Latency from the due time, ms, by kind. */
  latencies: Record<string, number[]>;
  errors: Record<string, number>;
  samples: string[];
  /** How late the generator sent requests after their due time (ms): its own lag, included in the latencies. */
  sendLag: { p50: number; p99: number; max: number };
  /** Writes not sent because every milestone had a write in flight. */
  skippedWrites: number;
  cpuSeconds: number;
}

/** mulberry32: a small seeded generator, so every phase offers the same sequence of requests. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function run(plan: OpenLoopPlan): Promise<OpenLoopResult> {
  const latencies: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  const lags: number[] = [];
  let skippedWrites = 0;
  // Enough connections for every request in flight at the offered rate with a second of latency.
  const pool = new Pool(plan.url, { connections: Math.max(16, plan.rate * 2), pipelining: 1, keepAliveTimeout: 60_000 });

  async function send(
    method: 'GET' | 'POST',
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await pool.request({
      method,
      path,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { body: payload } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async function call(
    kind: string,
    due: number,
    method: 'GET' | 'POST',
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<number> {
    lags.push(performance.now() - due);
    try {
      const res = await send(method, path, token, body);
      (latencies[kind] ??= []).push(performance.now() - due);
      if (res.status >= 400) {
        errors[kind] = (errors[kind] ?? 0) + 1;
        if (samples.length < 10) samples.push(`${kind} ${method} ${path} → ${res.status} ${res.text.slice(0, 160)}`);
      }
      return res.status;
    } catch (error) {
      (latencies[kind] ??= []).push(performance.now() - due);
      errors[kind] = (errors[kind] ?? 0) + 1;
      if (samples.length < 10) samples.push(`${kind} ${method} ${path} → ${String(error)}`);
      return 0;
    }
  }

  // The write targets, each with its manager's token and where its milestone stands (read before the clock starts).
  const targets = plan.perClient.flatMap((c) =>
    c.targets.map((t) => ({ ...t, managerToken: c.managerToken, status: 'active', busy: false })),
  );
  if (plan.phase === 'mixed') {
    await Promise.all(
      targets.map(async (t) => {
        const res = await send('GET', `/api/schools/${t.schoolId}`, t.managerToken);
        const detail = JSON.parse(res.text) as { milestones?: { key: string; status: string }[] };
        t.status = detail.milestones?.find((m) => m.key === 'connection')?.status ?? 'active';
      }),
    );
  }
  const busySchools = targets.map((t) => t.schoolId);
  const random = seeded(plan.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  let nextTarget = 0;

  function fire(i: number, due: number): Promise<unknown> {
    if (plan.phase === 'healthz') return call('healthz', due, 'GET', '/healthz', null);
    const caller = plan.perClient[i % plan.perClient.length]!;
    // Reads split 35 : 20 : 15 : 10 among a school, a list, a history and assignments; writes the rest.
    const r = random() < plan.writeShare ? 1 : random() * 0.8;
    const school = pick(plan.schoolIds);
    const district = pick(plan.districts);
    const busy = pick(busySchools.length > 0 ? busySchools : plan.schoolIds);
    if (r < 0.35) return call('school', due, 'GET', `/api/schools/${school}`, caller.managerToken);
    if (r < 0.55) return call('list', due, 'GET', `/api/schools?district=${district}&limit=25`, caller.managerToken);
    if (r < 0.7) return call('history', due, 'GET', `/api/schools/${busy}/history?limit=20`, caller.managerToken);
    if (r < 0.8) return call('assignments', due, 'GET', '/api/me/assignments?limit=50', caller.contractorToken);
    let target: (typeof targets)[number] | undefined;
    for (let tries = 0; tries < targets.length && !target; tries++) {
      const candidate = targets[nextTarget++ % targets.length]!;
      if (!candidate.busy) target = candidate;
    }
    if (!target) {
      skippedWrites++;
      return Promise.resolve();
    }
    const t = target;
    t.busy = true;
    const base = `/api/schools/${t.schoolId}/milestones/connection`;
    const write =
      t.status === 'active'
        ? call('submit', due, 'POST', `${base}/submit`, t.contractorToken, connectionEvidence()).then((status) => {
            if (status === 200) t.status = 'submitted';
          })
        : call('reject', due, 'POST', `${base}/reject`, t.managerToken, { reason: 'Нагрузочный тест: акт не подписан' }).then((status) => {
            if (status === 200) t.status = 'active';
          });
    return write.finally(() => (t.busy = false));
  }

  const total = Math.round(plan.rate * plan.seconds);
  const interval = 1000 / plan.rate;
  const inFlight: Promise<unknown>[] = [];
  const cpu = process.cpuUsage();
  const t0 = performance.now() + 20;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      // Every request due by now is sent now, however late the timer fired.
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        inFlight.push(fire(i, t0 + i * interval));
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  await Promise.all(inFlight);
  const used = process.cpuUsage(cpu);
  await pool.close();
  const sortedLags = lags.sort((a, b) => a - b);
  const at = (p: number) => sortedLags[Math.min(sortedLags.length - 1, Math.floor(p * sortedLags.length))] ?? NaN;
  return {
    phase: plan.phase,
    seconds: plan.seconds,
    offered: total,
    latencies,
    errors,
    samples,
    sendLag: { p50: at(0.5), p99: at(0.99), max: sortedLags.at(-1) ?? NaN },
    skippedWrites,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  loadProcessMain(run).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
