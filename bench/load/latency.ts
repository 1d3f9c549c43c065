/**
 * Latency samples for the load generator: every completed request's latency in nanoseconds, kept
 * in a growable Float64Array and sorted once at the end. At the rates this machine reaches
 * (tens of thousands per second, runs of seconds) that is a few MB, so exact percentiles are
 * cheaper to keep than to approximate with a bucketed histogram.
 */
export class LatencyRecorder {
  private samples: Float64Array;
  private n = 0;
  private dropped = 0;

  /** @param maxSamples a hard cap on memory; samples past it are counted but not kept */
  constructor(private readonly maxSamples: number) {
    this.samples = new Float64Array(Math.min(maxSamples, 65_536));
  }

  record(ns: number): void {
    if (this.n === this.samples.length) {
      if (this.n >= this.maxSamples) {
        this.dropped++;
        return;
      }
      const bigger = new Float64Array(Math.min(this.maxSamples, this.samples.length * 2));
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ns;
  }

  get count(): number {
    return this.n + this.dropped;
  }

  /** Percentiles (0..100) in microseconds, nearest-rank over the kept samples; NaN when empty. */
  summary(percentiles: readonly number[]): { mean: number; max: number; p: Map<number, number> } {
    const s = this.samples.subarray(0, this.n).slice().sort();
    const p = new Map<number, number>();
    if (s.length === 0) {
      for (const q of percentiles) p.set(q, Number.NaN);
      return { mean: Number.NaN, max: Number.NaN, p };
    }
    for (const q of percentiles) {
      const rank = Math.max(1, Math.ceil((q / 100) * s.length));
      p.set(q, s[rank - 1]! / 1000);
    }
    let sum = 0;
    for (const v of s) sum += v;
    return { mean: sum / s.length / 1000, max: s[s.length - 1]! / 1000, p };
  }
}
