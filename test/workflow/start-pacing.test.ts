/** An import's workflow starts are paced: never closer than 1000 / perSecond ms, in the order asked. */
import { describe, expect, it } from 'vitest';
import { createStartPacer, IMPORT_SCHOOLS_PER_SECOND } from '../../functions/common/start-pacing.js';

describe('start pacing', () => {
  it('gives concurrent takers distinct slots 1000 / perSecond ms apart, so no second holds more than perSecond', async () => {
    const slots: number[] = [];
    // The clock stands at 0: every take is asked at once and waits until its own slot.
    const pacer = createStartPacer(
      100,
      () => 0,
      async (ms) => {
        slots.push(ms);
      },
    );
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 250; i++) await pacer.take();
      }),
    );
    slots.push(0); // the first take did not wait
    const sorted = [...slots].sort((a, b) => a - b);
    expect(sorted).toHaveLength(1000);
    sorted.forEach((ms, i) => expect(ms).toBeCloseTo(i * 10, 6));
  });

  it('waits only for what is left of a slot when time has passed', async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = createStartPacer(
      4,
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    await pacer.take(); // slot 0
    now = 100;
    await pacer.take(); // slot 250: waits 150
    now = 1000;
    await pacer.take(); // slot 1000: no wait
    expect(waits).toEqual([150]);
  });

  it('does not wait when starts come slower than the rate', async () => {
    let now = 0;
    let waited = 0;
    const pacer = createStartPacer(
      IMPORT_SCHOOLS_PER_SECOND,
      () => now,
      async (ms) => {
        waited += ms;
      },
    );
    for (let i = 0; i < 5; i++) {
      await pacer.take();
      now += 50;
    }
    expect(waited).toBe(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createStartPacer(0)).toThrow(RangeError);
  });
});
