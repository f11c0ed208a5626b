// A virtual clock for the retry tests: sleeps resolve in time order as soon as everything else is idle.
export class FakeClock {
  t = 0;
  private sleepers: { at: number; wake: () => void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.sleepers.push({ at: this.t + ms, wake });
    });

  /** Drives virtual time until `p` settles: let real work run, then wake the earliest sleeper. */
  async run<T>(p: Promise<T>, maxSteps = 1_000_000): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; !settled && i < maxSteps; i++) {
      await new Promise((r) => setImmediate(r));
      if (settled) break;
      if (this.sleepers.length) {
        this.sleepers.sort((a, b) => a.at - b.at);
        const s = this.sleepers.shift()!;
        this.t = Math.max(this.t, s.at);
        s.wake();
      }
    }
    return p;
  }
}
