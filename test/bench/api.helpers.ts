/**
 * The load generator of the API benchmark, run as its own process (so that the clients do not share
 * the server's event loop): `node --import tsx test/bench/api.helpers.ts` with the plan as JSON on
 * stdin; it prints the measurements as one JSON line. Not a benchmark by itself (the dispatcher skips
 * `*.helpers.ts`).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { connectionEvidence, loadProcessMain, type Caller } from './load.helpers.js';

export interface LoadPlan {
  url: string;
  clients: number;
  seconds: number;
  phase: 'mixed' | 'healthz';
  /** Per client: its manager token, and the schools whose connection it drives (with the contractor's token). */
  perClient: Caller[];
  /** Share of the mixed requests that are writes (the rest are reads). */
  writeShare: number;
  /** Schools and districts to read. */
  schoolIds: string[];
  districts: string[];
}

export type Kind = 'school' | 'list' | 'history' | 'assignments' | 'submit' | 'reject' | 'healthz';

export interface LoadResult {
  phase: LoadPlan['phase'];
  seconds: number;
  /** Latencies in ms by kind of request. */
  latencies: Record<string, number[]>;
  errors: Record<string, number>;
  /** A few error descriptions, for the report. */
  samples: string[];
  /** CPU seconds this load generator used (user + system). */
  cpuSeconds?: number;
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const latencies: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  let end = 0;

  // One kept-alive connection per client, as a browser tab would hold; node:http rather than fetch
  // because the clients share the machine with the server and should take as little of it as they can.
  const agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
  const origin = new URL(plan.url);

  function send(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: origin.hostname,
          port: origin.port,
          method,
          path,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function call(
    kind: Kind,
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; json: unknown } | null> {
    const started = performance.now();
    try {
      const res = await send(method, path, token, body);
      const text = res.text;
      const ms = performance.now() - started;
      (latencies[kind] ??= []).push(ms);
      if (res.status >= 400) {
        errors[kind] = (errors[kind] ?? 0) + 1;
        if (samples.length < 10) samples.push(`${kind} ${method} ${path} → ${res.status} ${text.slice(0, 160)}`);
      }
      return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
    } catch (error) {
      errors[kind] = (errors[kind] ?? 0) + 1;
      if (samples.length < 10) samples.push(`${kind} ${method} ${path} → ${String(error)}`);
      return null;
    }
  }

  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
  // Histories are read where there is history: the schools the writes go to (the others have none yet).
  const busySchools = plan.perClient.flatMap((c) => c.targets.map((t) => t.schoolId));

  async function client(i: number): Promise<void> {
    const me = plan.perClient[i]!;
    // The status of each of the client's milestones, as its last answer said.
    const status = statuses.get(i)!;
    let turn = 0;
    while (performance.now() < end) {
      if (plan.phase === 'healthz') {
        await call('healthz', 'GET', '/healthz', null);
        continue;
      }
      // Reads split 35 : 20 : 15 : 10 among a school, a list, a history and assignments.
      const r = Math.random() < plan.writeShare ? 1 : Math.random() * 0.8;
      if (r < 0.35) await call('school', 'GET', `/api/schools/${pick(plan.schoolIds)}`, me.managerToken);
      else if (r < 0.55) await call('list', 'GET', `/api/schools?district=${pick(plan.districts)}&limit=25`, me.managerToken);
      else if (r < 0.7)
        await call(
          'history',
          'GET',
          `/api/schools/${pick(busySchools.length > 0 ? busySchools : plan.schoolIds)}/history?limit=20`,
          me.managerToken,
        );
      else if (r < 0.8) await call('assignments', 'GET', '/api/me/assignments?limit=50', me.contractorToken);
      else if (me.targets.length > 0) {
        const target = me.targets[turn++ % me.targets.length]!;
        const base = `/api/schools/${target.schoolId}/milestones/connection`;
        if (status.get(target.schoolId) === 'active') {
          const res = await call('submit', 'POST', `${base}/submit`, target.contractorToken, connectionEvidence());
          if (res?.status === 200) status.set(target.schoolId, 'submitted');
        } else {
          const res = await call('reject', 'POST', `${base}/reject`, me.managerToken, { reason: 'Нагрузочный тест: акт не подписан' });
          if (res?.status === 200) status.set(target.schoolId, 'active');
        }
      }
    }
  }

  // Where each client's milestones stand, read before the clock starts (an earlier run, such as the
  // warm-up, may have left some submitted).
  const statuses = new Map<number, Map<string, string>>();
  await Promise.all(
    Array.from({ length: plan.clients }, async (_, i) => {
      const me = plan.perClient[i]!;
      const status = new Map<string, string>();
      for (const t of plan.phase === 'mixed' ? me.targets : []) {
        const res = await send('GET', `/api/schools/${t.schoolId}`, me.managerToken);
        const detail = JSON.parse(res.text) as { milestones?: { key: string; status: string }[] };
        status.set(t.schoolId, detail.milestones?.find((m) => m.key === 'connection')?.status ?? 'active');
      }
      statuses.set(i, status);
    }),
  );

  const cpu = process.cpuUsage();
  end = performance.now() + plan.seconds * 1000;
  await Promise.all(Array.from({ length: plan.clients }, (_, i) => client(i)));
  const used = process.cpuUsage(cpu);
  agent.destroy();
  return { phase: plan.phase, seconds: plan.seconds, latencies, errors, samples, cpuSeconds: (used.user + used.system) / 1e6 };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  loadProcessMain(run).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
