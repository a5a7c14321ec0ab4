/**
 * Workflow starts of a bulk import, paced under Step Functions' StartExecution quota (large regions:
 * 1,300 burst, then 300 per second; README, "The national scale"). A school
 * program starts with the lifecycles of the milestones it starts at once, about 2.5 StartExecution per
 * school of the reference program (the simulation counts 252 in the second 100 schools start in), so
 * 100 schools a second keep an import of any size under the refill rate, the burst left for the rest.
 */
export const IMPORT_SCHOOLS_PER_SECOND = 100;

export interface StartPacer {
  /** Resolves when the next start may go: starts are at least `1000 / perSecond` ms apart. */
  take(): Promise<void>;
}

/**
 * Paces starts on real time (an import job's calls to AWS happen in real time, whatever clock the
 * program's dates come from): each `take` gets the next free slot and waits for it.
 */
export function createStartPacer(
  perSecond: number = IMPORT_SCHOOLS_PER_SECOND,
  now: () => number = () => performance.now(),
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): StartPacer {
  if (!(perSecond > 0)) throw new RangeError(`starts per second must be positive, not ${perSecond}`);
  const gap = 1000 / perSecond;
  let next = -Infinity;
  return {
    async take() {
      const at = Math.max(now(), next);
      next = at + gap;
      const wait = at - now();
      if (wait > 0) await sleep(wait);
    },
  };
}
