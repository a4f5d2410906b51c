/** A sleep that `wake()` or `abort()` ends early — the worker loop's only way to wait. */
export function createWaker() {
  let wakeUp: (() => void) | null = null;
  let pending = false;
  return {
    sleep(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });
    },
    /** Ends the current sleep, or makes the next one return at once. */
    wake(): void {
      if (wakeUp) wakeUp();
      else pending = true;
    },
  };
}
