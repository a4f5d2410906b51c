/** A sleep that `wake()` or `abort()` ends early — the worker loop's only way to wait. */
export function createWaker() {
  let wakeUp: (() => void) | null = null;
  let pending = false;
  return {
    /** Resolves true when woken before `ms` ran out, false when the time ran out. */
    sleep(ms: number): Promise<boolean> {
      if (pending) {
        pending = false;
        return Promise.resolve(true);
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(false), ms);
        function done(woken: boolean) {
          clearTimeout(timer);
          wakeUp = null;
          resolve(woken);
        }
        wakeUp = () => done(true);
      });
    },
    /** Ends the current sleep, or makes the next one return at once. */
    wake(): void {
      if (wakeUp) wakeUp();
      else pending = true;
    },
  };
}
