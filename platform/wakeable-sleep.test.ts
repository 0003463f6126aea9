import { createWakeableSleep } from './wakeable-sleep';

const timed = async (p: Promise<void>) => {
  const started = performance.now();
  await p;
  return performance.now() - started;
};

describe('a wakeable sleep', () => {
  it('ends on its time when nothing happens', async () => {
    expect(await timed(createWakeableSleep().sleep(50))).toBeGreaterThanOrEqual(45);
  });

  it('ends at once on a kick, and a kick that came while awake ends the next sleep', async () => {
    const pause = createWakeableSleep();
    const sleeping = pause.sleep(5_000);
    pause.kick();
    expect(await timed(sleeping)).toBeLessThan(1_000);
    pause.kick();
    expect(await timed(pause.sleep(5_000))).toBeLessThan(1_000);
    expect(await timed(pause.sleep(50))).toBeGreaterThanOrEqual(45); // the kick was used up
  });

  it('ignores kicks when asked to, but never a stop', async () => {
    const pause = createWakeableSleep();
    const sleeping = pause.sleep(100, { kicks: false });
    pause.kick();
    expect(await timed(sleeping)).toBeGreaterThanOrEqual(95);
    const long = pause.sleep(5_000, { kicks: false });
    pause.stop();
    expect(await timed(long)).toBeLessThan(1_000);
    expect(await timed(pause.sleep(5_000))).toBeLessThan(1_000);
  });
});
