/**
 * The calls a simulation makes to each AWS service, counted per second of virtual time: what the
 * services' quotas would see if the same program ran in AWS with the same timeline. Every SDK client of
 * this process (the workflow functions', the API's command path, the local stack's) and every Lambda
 * invocation of the local runtime is counted, by service and by operation; the peak is the busiest
 * virtual second.
 *
 * A simulation runs in one process with the handlers imported, so counting the clients' `send`, the
 * registry's invocations and the runtime's `states:startExecution` tasks (a workflow starting another:
 * in AWS a StartExecution like any other) sees every call; the meter wraps them while it is on and
 * restores them when it stops. State transitions are not calls and are not counted here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Clock } from '../../../shared/clock.js';
import { LambdaRegistry } from '../sfn/integrations.js';
import { Runtime } from '../sfn/runtime.js';

/** The busiest virtual second of one service (or one operation). */
export interface CallPeak {
  /** Calls in the whole run. */
  calls: number;
  /** Calls in the busiest virtual second, and when it was. */
  peakPerSecond: number;
  peakAt: string;
}

export interface ServiceCallMeter {
  /**
   * By service (`DynamoDB`, `Step Functions`, `S3`, `Lambda`), and by `service:operation`; with `fromMs`,
   * the peak among the seconds from then on (the calls are all counted).
   */
  peaks(fromMs?: number): { services: Record<string, CallPeak>; operations: Record<string, CallPeak> };
  /** Calls per virtual second (epoch seconds), summed over the named services and `service:operation`s. */
  perSecond(keys: readonly string[]): Map<number, number>;
  /** The counts so far, as plain data (a shard's thread sends them to the thread that merges them). */
  snapshot(): CallCounts;
  stop(): void;
}

/** Calls per virtual second (epoch seconds), by service and by `service:operation`. */
export interface CallCounts {
  services: Record<string, [second: number, calls: number][]>;
  operations: Record<string, [second: number, calls: number][]>;
}

class Counter {
  calls = 0;
  readonly perSecond = new Map<number, number>();

  add(second: number, n = 1): void {
    this.calls += n;
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + n);
  }

  /** The busiest second at or after `from` (epoch seconds), the earliest of equals. */
  peak(from: number): { peak: number; at: number } {
    let peak = 0;
    let at = NaN;
    // Of seconds as busy as each other, the earliest: the same whatever order they were counted in.
    for (const [second, n] of this.perSecond) if (second >= from && (n > peak || (n === peak && second < at))) [peak, at] = [n, second];
    return { peak, at };
  }
}

type Sender = { send(command: { constructor: { name: string } }, ...rest: unknown[]): Promise<unknown> };

export interface MeterOptions {
  /** Told of each call as it is made, in the caller's context (a benchmark attributes calls to the function making them). */
  onCall?: (service: string, operation: string) => void;
}

/** Starts counting; one meter at a time per process. */
export function meterServiceCalls(clock: Clock, options: MeterOptions = {}): ServiceCallMeter {
  const services = new Map<string, Counter>();
  const operations = new Map<string, Counter>();
  const count = (service: string, operation: string) => {
    options.onCall?.(service, operation);
    const second = Math.floor(clock.nowMs() / 1000);
    const s = services.get(service) ?? services.set(service, new Counter()).get(service)!;
    s.add(second);
    const key = `${service}:${operation}`;
    const o = operations.get(key) ?? operations.set(key, new Counter()).get(key)!;
    o.add(second);
  };

  const restores: (() => void)[] = [];
  const clients: [string, { prototype: object }][] = [
    ['DynamoDB', DynamoDBClient],
    ['Step Functions', SFNClient],
    ['S3', S3Client],
  ];
  for (const [service, Client] of clients) {
    const proto = Client.prototype as Sender;
    const own = Object.getOwnPropertyDescriptor(proto, 'send');
    const inherited = proto.send;
    proto.send = function (this: Sender, command, ...rest) {
      count(service, command.constructor.name.replace(/Command$/, ''));
      return inherited.call(this, command, ...rest);
    };
    restores.push(() => {
      if (own) Object.defineProperty(proto, 'send', own);
      else delete (proto as { send?: unknown }).send;
    });
  }
  const registry = LambdaRegistry.prototype;
  const run = registry.run;
  registry.run = function <T>(this: LambdaRegistry, invocation: () => Promise<T> | T): Promise<T> {
    count('Lambda', 'Invoke');
    return run.call(this, invocation) as Promise<T>;
  };
  restores.push(() => {
    registry.run = run;
  });
  const runtime = Runtime.prototype;
  const invoke = runtime.invoke;
  runtime.invoke = function (this: Runtime, ...args: Parameters<Runtime['invoke']>): void {
    if (args[2].resource?.kind === 'states:startExecution') count('Step Functions', 'StartExecution');
    invoke.apply(this, args);
  };
  restores.push(() => {
    runtime.invoke = invoke;
  });

  return {
    ...countsView(services, operations),
    stop: () => {
      for (const restore of restores.splice(0).reverse()) restore();
    },
  };
}

/** The peaks and the per-second sums of counters by service and by operation. */
function countsView(services: ReadonlyMap<string, Counter>, operations: ReadonlyMap<string, Counter>): Omit<ServiceCallMeter, 'stop'> {
  const table = (m: ReadonlyMap<string, Counter>, from: number) =>
    Object.fromEntries(
      [...m]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, c]): [string, CallPeak] => {
          const { peak, at } = c.peak(from);
          return [k, { calls: c.calls, peakPerSecond: peak, peakAt: Number.isNaN(at) ? '-' : new Date(at * 1000).toISOString() }];
        }),
    );
  const plain = (m: ReadonlyMap<string, Counter>) => Object.fromEntries([...m].map(([k, c]) => [k, [...c.perSecond]]));
  return {
    peaks: (fromMs = -Infinity) => {
      const from = Math.floor(fromMs / 1000);
      return { services: table(services, from), operations: table(operations, from) };
    },
    perSecond: (keys) => {
      const sum = new Map<number, number>();
      for (const key of keys) {
        const counter = services.get(key) ?? operations.get(key);
        for (const [second, n] of counter?.perSecond ?? []) sum.set(second, (sum.get(second) ?? 0) + n);
      }
      return sum;
    },
    snapshot: () => ({ services: plain(services), operations: plain(operations) }),
  };
}

/**
 * The meter of a run made of several (the shards of a simulation, each metered in its own thread): the
 * calls of every second summed over them, so its peaks are those of the whole run on one timeline.
 */
export function mergedCallMeter(parts: readonly CallCounts[]): ServiceCallMeter {
  const merge = (pick: (c: CallCounts) => CallCounts['services']) => {
    const out = new Map<string, Counter>();
    for (const part of parts) {
      for (const [key, seconds] of Object.entries(pick(part))) {
        const counter = out.get(key) ?? out.set(key, new Counter()).get(key)!;
        for (const [second, n] of seconds) counter.add(second, n);
      }
    }
    return out;
  };
  return {
    ...countsView(
      merge((c) => c.services),
      merge((c) => c.operations),
    ),
    stop: () => undefined,
  };
}

/**
 * The quotas the design meets first, AWS defaults in the large regions (us-east-1, where the cost
 * benchmark's prices are from): a token bucket of `burst` calls refilled by `rate` per second, shared by
 * the operations named. Lambda's is concurrency, not a rate: 1,000 executions at once, which as many
 * invocations per second reach when each lasts up to a second (the bucket models that: it refills fully
 * every second).
 */
export interface Quota {
  name: string;
  keys: readonly string[];
  burst: number;
  rate: number;
  text: string;
}

export const QUOTAS: readonly Quota[] = [
  { name: 'StartExecution', keys: ['Step Functions:StartExecution'], burst: 1300, rate: 300, text: '1,300 burst, then 300/s' },
  {
    name: 'SendTask*',
    keys: ['Step Functions:SendTaskSuccess', 'Step Functions:SendTaskFailure', 'Step Functions:SendTaskHeartbeat'],
    burst: 3000,
    rate: 500,
    text: '3,000 burst, then 500/s',
  },
  { name: 'Lambda concurrency', keys: ['Lambda'], burst: 1000, rate: 1000, text: '1,000 at once (invocations ≤ 1 s)' },
];

/** What a quota's token bucket makes of calls per second. */
export interface QuotaUse {
  /** The busiest second. */
  peak: number;
  /** The busiest 60 consecutive seconds, per second. */
  busiestMinute: number;
  /** Calls the bucket would refuse (throttled, to be retried). */
  throttled: number;
}

export function quotaUse(perSecond: ReadonlyMap<number, number>, quota: Pick<Quota, 'burst' | 'rate'>): QuotaUse {
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  let peak = 0;
  let throttled = 0;
  let tokens = quota.burst;
  let last = Number.NEGATIVE_INFINITY;
  for (const second of seconds) {
    const n = perSecond.get(second)!;
    peak = Math.max(peak, n);
    tokens = Math.min(quota.burst, tokens + quota.rate * (second - last));
    last = second;
    const served = Math.min(tokens, n);
    throttled += n - served;
    tokens -= served;
  }
  let busiest = 0;
  let windowSum = 0;
  let lo = 0;
  for (let hi = 0; hi < seconds.length; hi++) {
    windowSum += perSecond.get(seconds[hi]!)!;
    while (seconds[hi]! - seconds[lo]! >= 60) windowSum -= perSecond.get(seconds[lo++]!)!;
    busiest = Math.max(busiest, windowSum);
  }
  return { peak, busiestMinute: Math.ceil(busiest / 60), throttled };
}

/** Each quota against the run's calls: peak vs burst, the busiest minute vs the rate, and the verdict. */
export function formatQuotaUse(meter: ServiceCallMeter): string {
  return [
    'Against the quotas (large regions; a token bucket of the burst refilled at the rate):',
    `  ${'quota'.padEnd(20)} ${'limit'.padEnd(34)} ${'peak/s'.padStart(7)} ${'busiest min/s'.padStart(14)} ${'throttled'.padStart(10)}  verdict`,
    ...QUOTAS.map((q) => {
      const use = quotaUse(meter.perSecond(q.keys), q);
      const verdict =
        use.throttled === 0
          ? `within: peak ${pct(use.peak, q.burst)} of the burst, busiest minute ${pct(use.busiestMinute, q.rate)} of the rate`
          : `THROTTLED: ${use.throttled} calls over the quota`;
      return `  ${q.name.padEnd(20)} ${q.text.padEnd(34)} ${String(use.peak).padStart(7)} ${String(use.busiestMinute).padStart(14)} ${String(use.throttled).padStart(10)}  ${verdict}`;
    }),
  ].join('\n');
}

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;

/** The peaks as lines: every service, then the operations a quota names; the import's second apart. */
export function formatCallPeaks(meter: ServiceCallMeter, importMs: number, importEndMs: number = importMs + 1000): string {
  const all = meter.peaks();
  const after = meter.peaks(Math.max(importEndMs, importMs + 1000));
  const quotaOf = (k: string) => QUOTAS.find((q) => q.keys.includes(k));
  const rows = (pick: (p: ReturnType<ServiceCallMeter['peaks']>) => Record<string, CallPeak>, keys: string[]) =>
    keys.map((k) => {
      const a = pick(all)[k]!;
      const b = pick(after)[k];
      const q = quotaOf(k);
      const quota = q ? `  quota ${q.text}${q.keys.length > 1 ? ` (${q.name} together)` : ''}` : '';
      return `  ${k.padEnd(32)} ${String(a.calls).padStart(9)} ${String(a.peakPerSecond).padStart(8)} ${String(b?.peakPerSecond ?? 0).padStart(8)}  ${b?.peakAt ?? '-'}${quota}`;
    });
  const quoted = Object.keys(all.operations).filter((k) => quotaOf(k) !== undefined);
  return [
    'Calls to AWS by second of virtual time (peak: the busiest second; "after": the busiest once the import has started every school\'s workflow):',
    `  ${'service'.padEnd(32)} ${'calls'.padStart(9)} ${'peak/s'.padStart(8)} ${'after'.padStart(8)}  busiest second after the import`,
    ...rows((p) => p.services, Object.keys(all.services)),
    ...rows((p) => p.operations, quoted),
    formatQuotaUse(meter),
  ].join('\n');
}
