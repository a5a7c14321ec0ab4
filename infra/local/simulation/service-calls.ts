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
  stop(): void;
}

class Counter {
  calls = 0;
  readonly perSecond = new Map<number, number>();

  add(second: number): void {
    this.calls++;
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
  }

  /** The busiest second at or after `from` (epoch seconds). */
  peak(from: number): { peak: number; at: number } {
    let peak = 0;
    let at = NaN;
    for (const [second, n] of this.perSecond) if (second >= from && n > peak) [peak, at] = [n, second];
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

  const table = (m: Map<string, Counter>, from: number) =>
    Object.fromEntries(
      [...m]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, c]): [string, CallPeak] => {
          const { peak, at } = c.peak(from);
          return [k, { calls: c.calls, peakPerSecond: peak, peakAt: Number.isNaN(at) ? '-' : new Date(at * 1000).toISOString() }];
        }),
    );
  return {
    peaks: (fromMs = -Infinity) => {
      const from = Math.floor(fromMs / 1000);
      return { services: table(services, from), operations: table(operations, from) };
    },
    stop: () => {
      for (const restore of restores.splice(0).reverse()) restore();
    },
  };
}

/** The quotas the design meets first (AWS defaults in large regions: burst, then per second). */
export const QUOTAS: Record<string, string> = {
  'Step Functions:StartExecution': '1,300 burst, then 300/s',
  'Step Functions:SendTaskSuccess': '3,000 burst, then 500/s (SendTask* together)',
  'Step Functions:SendTaskFailure': '3,000 burst, then 500/s (SendTask* together)',
  Lambda: '1,000 concurrent executions',
};

/** The peaks as lines: every service, then the operations a quota names; the import's second apart. */
export function formatCallPeaks(meter: ServiceCallMeter, importMs: number): string {
  const all = meter.peaks();
  const after = meter.peaks(importMs + 1000);
  const rows = (pick: (p: ReturnType<ServiceCallMeter['peaks']>) => Record<string, CallPeak>, keys: string[]) =>
    keys.map((k) => {
      const a = pick(all)[k]!;
      const b = pick(after)[k];
      const quota = QUOTAS[k] ? `  quota ${QUOTAS[k]}` : '';
      return `  ${k.padEnd(32)} ${String(a.calls).padStart(9)} ${String(a.peakPerSecond).padStart(8)} ${String(b?.peakPerSecond ?? 0).padStart(8)}  ${b?.peakAt ?? '-'}${quota}`;
    });
  const quoted = Object.keys(all.operations).filter((k) => k in QUOTAS);
  return [
    'Calls to AWS by second of virtual time (peak: the busiest second; "after": the busiest after the import\'s first second):',
    `  ${'service'.padEnd(32)} ${'calls'.padStart(9)} ${'peak/s'.padStart(8)} ${'after'.padStart(8)}  busiest second after the import`,
    ...rows((p) => p.services, Object.keys(all.services)),
    ...rows((p) => p.operations, quoted),
  ].join('\n');
}
