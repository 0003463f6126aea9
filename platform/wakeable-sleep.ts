/**
 * A worker loop's pause that new work can cut short. `kick()` ends the pause under way, or the
 * next one when the loop is busy, so a kick that arrives mid-work is not lost; `stop()` ends the
 * pause under way and every later one. A pause taken with `{ kicks: false }` ends only on its
 * time or on stop.
 */
export function createWakeableSleep() {
  let kicked = false;
  let stopped = false;
  let waitingForKicks = false;
  let wake: (() => void) | undefined;
  return {
    kick(): void {
      kicked = true;
      if (waitingForKicks) wake?.();
    },
    stop(): void {
      stopped = true;
      wake?.();
    },
    sleep(ms: number, { kicks = true }: { kicks?: boolean } = {}): Promise<void> {
      return new Promise<void>((resolve) => {
        if (stopped || (kicks && kicked)) {
          if (kicks) kicked = false;
          resolve();
          return;
        }
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          if (kicks) kicked = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
        waitingForKicks = kicks;
      });
    },
  };
}
