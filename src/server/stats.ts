/** Redis samples its instantaneous metrics every 100 ms and averages the last 16 samples. */
const SAMPLE_PERIOD_MS = 100;
const SAMPLE_COUNT = 16;

interface RateTrack {
  lastValue: number;
  lastTime: number;
  samples: number[];
}

/** The counters of INFO stats that this server can keep for real. */
export class ServerStats {
  connectionsReceived = 0;
  commandsProcessed = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  rejectedConnections = 0;
  errorReplies = 0;
  readsProcessed = 0;
  writesProcessed = 0;

  private readonly rates = {
    ops: newTrack(),
    input: newTrack(),
    output: newTrack(),
  };
  private timer: NodeJS.Timeout | undefined;

  startSampling(now: () => number = Date.now): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sample(now()), SAMPLE_PERIOD_MS);
    this.timer.unref();
  }

  stopSampling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One measurement of every rate; called by the timer, public for tests. */
  sample(time: number): void {
    record(this.rates.ops, this.commandsProcessed, time);
    record(this.rates.input, this.netInputBytes, time);
    record(this.rates.output, this.netOutputBytes, time);
  }

  opsPerSecond(): number {
    return Math.round(average(this.rates.ops));
  }

  inputKbps(): number {
    return average(this.rates.input) / 1024;
  }

  outputKbps(): number {
    return average(this.rates.output) / 1024;
  }
}

function newTrack(): RateTrack {
  return { lastValue: 0, lastTime: 0, samples: [] };
}

function record(track: RateTrack, value: number, time: number): void {
  if (track.lastTime !== 0 && time > track.lastTime) {
    track.samples.push(((value - track.lastValue) * 1000) / (time - track.lastTime));
    if (track.samples.length > SAMPLE_COUNT) track.samples.shift();
  }
  track.lastValue = value;
  track.lastTime = time;
}

function average(track: RateTrack): number {
  if (track.samples.length === 0) return 0;
  return track.samples.reduce((a, b) => a + b, 0) / track.samples.length;
}
