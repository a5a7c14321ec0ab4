/**
 * The API benchmarks' split of the server's CPU by thread (measure.helpers.ts): a thread that spins is
 * counted as the API's when its id is given, the main thread's own work as the main thread's.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCores, threadCpuSeconds, threadsLine } from './measure.helpers.js';

/** A thread that reports its id in the operating system, then spins for `ms` and reports again. */
const SPINNER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').at(-1)));
parentPort.once('message', () => {
  const end = Date.now() + workerData.ms;
  while (Date.now() < end);
  parentPort.postMessage('done');
});
`;

function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe.runIf(process.platform === 'linux')('threadCpuSeconds / threadCores', () => {
  it('counts the main thread by the process id', () => {
    const before = threadCpuSeconds();
    expect(before.has(process.pid)).toBe(true);
    spin(400);
    const used = threadCores(before, threadCpuSeconds(), 0.4, undefined);
    // The main thread spun the whole time (CPU ticks are 10 ms; a loaded machine lends it less than a
    // core); nothing is the API's.
    expect(used.main).toBeGreaterThan(0.2);
    expect(used.api).toBeNaN();
    expect(threadsLine(used)).not.toContain('API');
  });

  it("counts a thread's CPU as the API's when its id is given", async () => {
    const worker = new Worker(SPINNER, { eval: true, workerData: { ms: 600 } });
    try {
      const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
      const before = threadCpuSeconds();
      const started = performance.now();
      const done = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('go');
      await done;
      const seconds = (performance.now() - started) / 1000;
      const used = threadCores(before, threadCpuSeconds(), seconds, tid);
      expect(used.api).toBeGreaterThan(0.2);
      // The main thread only waited for the message.
      expect(used.main).toBeLessThan(used.api / 2);
      expect(threadsLine(used)).toMatch(/^the API's thread \d+\.\d\d, the main thread \d+\.\d\d, V8's and libuv's \d+\.\d\d$/);
    } finally {
      await worker.terminate();
    }
  });
});
