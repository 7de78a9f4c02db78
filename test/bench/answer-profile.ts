/**
 * A closer look at GET-MASTER-ADDR-BY-NAME latency than the answers test gives:
 * 1 master + 2 replicas + 3 sentinels of one implementation, the probe against
 * them idle for a while, then (unless ANSWER_FAILOVER=0) through a kill -9
 * failover. Run after `npm run build`:
 *
 *   node dist/test/bench/answer-profile.js [ours|redis]
 *
 * Env: ANSWER_IDLE_MS (default 3000), ANSWER_FAILOVER (1), ANSWER_INTERVAL_MS (2),
 * ANSWER_V8_FLAGS (V8 flags our daemons set at start-up, e.g. --no-parallel-scavenge),
 * ANSWER_PROFILE_DIR: our daemons record their event loop delay (monitorEventLoopDelay) and every stall of the
 * loop over 2 ms, with its time, into `loop-<pid>.json`; they are stopped with
 * SIGTERM so the records get written; with ANSWER_CPU_PROFILE=1 they also
 * write a CPU profile there (`cpu-<pid>.cpuprofile`, 200 us sampling), and with
 * ANSWER_HEAP_PROFILE=1 a sampled profile of every allocation (`heap-<pid>.heapprofile`). The slowest answers are listed with
 * their times, to match them against the stalls. Each process's CPU time per
 * answer (user + system, from /proc) is shown, and a bare Node server that
 * sends a fixed answer is probed beside the sentinels: what Node itself costs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AnswerProbe, latencyFigures, showFigures, type AnswerSample } from '../harness/answer-probe.js';
import { Harness } from '../harness/harness.js';
import { freePort } from '../harness/ports.js';
import type { Signal } from '../harness/process.js';
import type { SentinelImpl } from '../harness/sentinel.js';
import { startTopology, waitForDiscovery } from '../harness/topology.js';

/** The least a Node process can do per request: one fixed reply per read. */
const BARE_SERVER = `
const net = require('node:net');
const reply = Buffer.from('*2\\r\\n$9\\r\\n127.0.0.1\\r\\n$4\\r\\n6379\\r\\n');
net.createServer({ noDelay: true }, (s) => s.on('data', () => s.write(reply))).listen(Number(process.argv[1]), '127.0.0.1');
`;

/** CPU time (user + system) a process used so far, ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const LOOP_RECORDER = `
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
const dir = process.env.ANSWER_PROFILE_DIR;
if (process.env.ANSWER_V8_FLAGS) (await import('node:v8')).setFlagsFromString(process.env.ANSWER_V8_FLAGS);
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const stalls = [];
const gc = { count: 0, totalMs: 0, maxMs: 0, over1ms: [] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
    if (e.duration > 1) gc.over1ms.push({ at: Math.round(performance.timeOrigin + e.startTime), ms: +e.duration.toFixed(2), kind: e.detail?.kind });
  }
}).observe({ entryTypes: ['gc'] });
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 3) stalls.push({ at: Date.now(), ms: +(now - last - 1).toFixed(2) });
  last = now;
}, 1).unref();
const session = process.env.ANSWER_CPU_PROFILE === '1' ? new Session() : null;
if (session) {
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
}
const heapSession = process.env.ANSWER_HEAP_PROFILE === '1' ? new Session() : null;
if (heapSession) {
  heapSession.connect();
  heapSession.post('HeapProfiler.enable');
  // Every allocation counts, also the objects the collector took back since.
  heapSession.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
// How long each request stays in the daemon: from its read to the end of its reply's write.
const residence = [];
if (process.env.ANSWER_TRACE_CLIENT) {
  import(process.env.ANSWER_TRACE_CLIENT).then(({ Client }) => {
    const onData = Client.prototype.onData;
    const flush = Client.prototype.flush;
    Client.prototype.onData = function (chunk) {
      this.traceStart = performance.now();
      return onData.call(this, chunk);
    };
    Client.prototype.flush = function () {
      const t1 = performance.now();
      const r = flush.call(this);
      if (this.traceStart !== undefined) {
        const t2 = performance.now();
        residence.push([t2 - this.traceStart, t1 - this.traceStart, t2 - t1]);
        this.traceStart = undefined;
      }
      return r;
    };
  });
}
// Where the daemon's own time goes: the core's tick (its tick steps), whole inputs (a step and its actions), link actions.
const spans = { tick: [], input: [], tickInput: [], link: [] };
let inTick = false;
if (process.env.ANSWER_TRACE_SRC) {
  const src = process.env.ANSWER_TRACE_SRC;
  const timed = (proto, method, list, before, after, when) => {
    const original = proto[method];
    proto[method] = function (...args) {
      if (when && !when(...args)) return original.apply(this, args);
      before?.();
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        list().push(performance.now() - t0);
        after?.();
      }
    };
  };
  Promise.all([
    import(src + '/core/sentinel.js'),
    import(src + '/daemon.js'),
    import(src + '/links/link-manager.js'),
  ]).then(([{ Sentinel }, { Daemon }, { LinkManager }]) => {
    timed(Sentinel.prototype, 'step', () => spans.tick, () => (inTick = true), undefined, (input) => input.kind === 'tick');
    timed(Daemon.prototype, 'input', () => (inTick ? spans.tickInput : spans.input), undefined, () => (inTick = false));
    timed(LinkManager.prototype, 'execute', () => spans.link);
  });
}
let startedAt = performance.now();
// SIGUSR2: the measured window starts now (what start-up did is dropped).
process.on('SIGUSR2', () => {
  startedAt = performance.now();
  for (const list of Object.values(spans)) list.length = 0;
  residence.length = 0;
  stalls.length = 0;
  gc.count = 0;
  gc.totalMs = 0;
  gc.maxMs = 0;
  gc.over1ms.length = 0;
  h.reset();
});
process.on('exit', () => {
  const seconds = (performance.now() - startedAt) / 1000;
  const summary = (list) => {
    const v = [...list].sort((a, b) => a - b);
    const at = (q) => +(v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? NaN).toFixed(3);
    return { perSecond: +(v.length / seconds).toFixed(1), msPerSecond: +(v.reduce((a, b) => a + b, 0) / seconds).toFixed(2), p50: at(0.5), p99: at(0.99), max: at(1) };
  };
  const work = Object.fromEntries(Object.entries(spans).map(([k, v]) => [k, summary(v)]));
  const figures = (k) => {
    const sorted = residence.map((r) => r[k]).sort((a, b) => a - b);
    const at = (q) => +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(3);
    return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
  };
  const inDaemon = { total: figures(0), beforeWrite: figures(1), write: figures(2) };
  session?.post('Profiler.stop', (err, r) => {
    if (!err) writeFileSync(dir + '/cpu-' + process.pid + '.cpuprofile', JSON.stringify(r.profile));
  });
  heapSession?.post('HeapProfiler.stopSampling', (err, r) => {
    if (!err) writeFileSync(dir + '/heap-' + process.pid + '.heapprofile', JSON.stringify(r.profile));
  });
  const ms = (ns) => +(ns / 1e6).toFixed(2);
  writeFileSync(dir + '/loop-' + process.pid + '.json', JSON.stringify({
    clock: { wallMs: Date.now(), monotonicUs: Number(process.hrtime.bigint() / 1000n) },
    inDaemon,
    work,
    gc,
    p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count, stalls,
  }));
});
`;

async function main(): Promise<void> {
  const impl = (process.argv[2] ?? 'ours') as SentinelImpl;
  const idleMs = Number(process.env.ANSWER_IDLE_MS ?? 3000);
  const failover = process.env.ANSWER_FAILOVER !== '0';
  const intervalMs = Number(process.env.ANSWER_INTERVAL_MS ?? 2);
  const profileDir = process.env.ANSWER_PROFILE_DIR;
  if (profileDir && impl === 'ours') {
    mkdirSync(profileDir, { recursive: true });
    const recorder = join(profileDir, 'loop-recorder.mjs');
    writeFileSync(recorder, LOOP_RECORDER);
    process.env.NODE_OPTIONS = `--import ${pathToFileURL(recorder).href} ${process.env.ANSWER_NODE_OPTIONS ?? ""}`;
    const src = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../src')).href;
    process.env.ANSWER_TRACE_CLIENT = `${src}/server/client.js`;
    process.env.ANSWER_TRACE_SRC = src;
  }
  const h = new Harness(`answer-profile-${impl}`);
  try {
    const t = await startTopology(h, {
      replicas: 2,
      sentinels: [impl, impl, impl],
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 30_000,
      sentinelArgs: process.env.ANSWER_SENTINEL_ARGS?.split(' ').filter(Boolean),
    });
    delete process.env.NODE_OPTIONS;
    await waitForDiscovery(h, t, 30_000);
    const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
    const barePort = await freePort();
    const bare = spawn(process.execPath, ['-e', BARE_SERVER, String(barePort)], { stdio: 'inherit' });
    await new Promise((r) => setTimeout(r, 300));
    const ports = [...t.sentinels.map((s) => s.port), barePort];
    const pids = [...t.sentinels.map((s) => s.pid), bare.pid!];
    const quietFrom = pids.map(cpuMs);
    const quietStart = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    if (profileDir && impl === 'ours') for (const sentinel of t.sentinels) sentinel.kill('SIGUSR2' as Signal);
    const cpuBefore = pids.map(cpuMs);
    const quietPerSecond = cpuBefore.map((c, i) => ((c - quietFrom[i]) * 1000) / (performance.now() - quietStart));
    const probeStart = performance.now();
    const probe = AnswerProbe.start(ports, t.masterName, intervalMs);
    await new Promise((r) => setTimeout(r, idleMs));
    const cpuIdle = pids.map(cpuMs);
    const probeSeconds = (performance.now() - probeStart) / 1000;
    const killedAt = Date.now();
    if (failover) {
      await t.master.kill('SIGKILL');
      await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since: killedAt }, 30_000)));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const cpuEnd = pids.map(cpuMs);
    const failoverSeconds = (Date.now() - killedAt) / 1000;
    const result = await probe.stop();
    bare.kill();
    for (const [i, port] of ports.entries()) {
      const all: AnswerSample[] = result.samples.get(port) ?? [];
      const idle = all.filter((s) => s.at < killedAt);
      const during = all.filter((s) => s.at >= killedAt);
      const slowest = [...all].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, 6);
      const cpuPerAnswer = ((cpuIdle[i] - cpuBefore[i] - quietPerSecond[i] * probeSeconds) / idle.length) * 1000;
      const who = i < t.sentinels.length ? `sentinel ${i + 1}` : 'bare node';
      process.stdout.write(
        `${who} pid ${pids[i]}: idle ${showFigures(latencyFigures(idle))} (${idle.length}, cpu ${cpuPerAnswer.toFixed(0)} us/answer beyond ${quietPerSecond[i].toFixed(0)} ms/s unprobed, ${((cpuIdle[i] - cpuBefore[i]) / probeSeconds).toFixed(0)} ms/s probed)` +
          (failover
            ? `, failover ${showFigures(latencyFigures(during))} (${during.length}, cpu ${((cpuEnd[i] - cpuIdle[i]) / failoverSeconds).toFixed(0)} ms/s)`
            : '') +
          `\n  slowest: ${slowest.map((s) => `${s.latencyMs.toFixed(1)}@${s.at - killedAt}`).join(' ')}\n`,
      );
    }
    process.stdout.write(`probe lag max ${Math.max(...result.probeLagMs).toFixed(2)} ms; kill at ${killedAt}\n`);
    if (profileDir && impl === 'ours') {
      for (const s of t.sentinels) s.kill('SIGTERM');
      await Promise.all(t.sentinels.map((s) => s.process.waitForExit(5000)));
    }
  } finally {
    await h.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
