import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';
import { makeCertificates, tlsDirectives } from '../harness/tls.js';

/**
 * The HTTP listener (an addition, `http-port`): redis_exporter's sentinel metrics with its names
 * and labels and the values SENTINEL itself reports, the failover counters moving with a real
 * failover, the JSON view, the event stream, the probes and the bearer token.
 */

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The samples of a Prometheus text exposition: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** An open event stream, collecting the parsed `data:` lines. */
function openEvents(port: number, headers: Record<string, string> = {}): { events: Array<Record<string, string>>; close: () => void } {
  const events: Array<Record<string, string>> = [];
  let buffer = '';
  const req = request({ host: '127.0.0.1', port, path: '/v1/events', headers }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buffer += c;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as Record<string, string>);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, close: () => req.destroy() };
}

describe('the HTTP listener', () => {
  const h = useHarness('http-listener', { scope: 'test' });

  it('exports the sentinel metrics of redis_exporter with the values SENTINEL reports, and a failover moves them', async () => {
    const master = await h.startRedis();
    const replica = await h.startRedis({ replicaOf: { port: master.port } });
    const httpPort = await h.port();
    const s = await h.startSentinel({
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 10_000 }],
      configLines: [`http-port ${httpPort}`],
    });
    const q = h.queries(s.port);
    await waitFor(async () => (await q.replicas('mymaster')).length, { timeoutMs: 15_000, description: 'the replica discovered', until: (n) => n === 1 });
    await waitFor(async () => (await q.replicas('mymaster'))[0]?.['master-link-status'], { timeoutMs: 15_000, description: 'the replica in sync', until: (v) => v === 'ok' });

    await s.process.waitForLog(new RegExp(`HTTP listener on http://127\\.0\\.0\\.1:${httpPort}/`), { timeoutMs: 5000 });
    expect((await get(httpPort, '/healthz')).status).toBe(200);
    expect((await get(httpPort, '/readyz')).status).toBe(200);

    const m = await q.master('mymaster');
    const address = `127.0.0.1:${master.port}`;
    const labels = `master_name="mymaster",master_address="${address}"`;
    const scrape = await get(httpPort, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = samples(scrape.body);
    const ckquorum = (await q.client.call('SENTINEL', 'CKQUORUM', 'mymaster')) as string;
    expect(Object.fromEntries([...metrics].filter(([k]) => k.startsWith('redis_sentinel_') && !k.includes('last_ok_ping')))).toEqual({
      redis_sentinel_masters: 1,
      redis_sentinel_tilt: 0,
      redis_sentinel_running_scripts: 0,
      redis_sentinel_scripts_queue_length: 0,
      redis_sentinel_simulate_failure_flags: 0,
      [`redis_sentinel_master_status{${labels},master_status="ok"}`]: 1,
      [`redis_sentinel_master_slaves{${labels}}`]: 1,
      [`redis_sentinel_master_sentinels{${labels}}`]: 1,
      [`redis_sentinel_master_ok_slaves{${labels}}`]: 1,
      [`redis_sentinel_master_ok_sentinels{${labels}}`]: 1,
      [`redis_sentinel_master_ckquorum_status{master_name="mymaster",message="${ckquorum}"}`]: 1,
      [`redis_sentinel_master_setting_ckquorum{${labels}}`]: Number(m.quorum),
      [`redis_sentinel_master_setting_failover_timeout{${labels}}`]: 10_000,
      [`redis_sentinel_master_setting_parallel_syncs{${labels}}`]: Number(m['parallel-syncs']),
      [`redis_sentinel_master_setting_down_after_milliseconds{${labels}}`]: 1000,
      [`redis_sentinel_master_config_epoch{${labels}}`]: 0,
    });
    expect(metrics.get(`redis_sentinel_master_last_ok_ping_reply_seconds{${labels}}`)).toBeLessThan(2);
    expect(metrics.get('sentinel_current_epoch')).toBe(0);
    expect(metrics.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    for (const [role, port] of [['master', master.port], ['slave', replica.port]] as const) {
      const rtt = metrics.get(`sentinel_link_ping_rtt_seconds{master_name="mymaster",role="${role}",address="127.0.0.1:${port}"}`);
      // Loopback: a PING answers within a few ms (the timer's step is the bound's slack).
      expect(rtt, `${role} link round trip`).toBeGreaterThanOrEqual(0);
      expect(rtt, `${role} link round trip`).toBeLessThan(0.25);
    }

    const stream = openEvents(httpPort);
    const pubsub = await h.events(s.port);
    try {
      await waitFor(() => get(httpPort, '/v1/masters'), { timeoutMs: 2000, description: 'the JSON view', until: (r) => r.status === 200 });
      expect(await q.client.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
      await waitFor(() => stream.events.find((e) => e.type === '+switch-master') ?? null, { timeoutMs: 20_000, description: '+switch-master on the event stream' });
      expect(stream.events.find((e) => e.type === '+switch-master')).toMatchObject({
        level: 'warning',
        message: `mymaster 127.0.0.1 ${master.port} 127.0.0.1 ${replica.port}`,
        master: 'mymaster',
      });
      await waitFor(() => stream.events.find((e) => e.type === '+failover-end') ?? null, { timeoutMs: 20_000, description: '+failover-end on the event stream' });
      // The same events, in the same order, as a PSUBSCRIBE * client got.
      await waitFor(() => pubsub.events.length, { timeoutMs: 5000, description: 'pub/sub to catch up', until: (n) => n >= stream.events.length });
      expect(stream.events.map((e) => `${e.type} ${e.message}`)).toEqual(pubsub.events.map((e) => `${e.channel} ${e.message}`));
    } finally {
      stream.close();
    }

    const after = samples((await get(httpPort, '/metrics')).body);
    const newLabels = `master_name="mymaster",master_address="127.0.0.1:${replica.port}"`;
    expect(after.get('sentinel_failovers_started_total{master_name="mymaster"}')).toBe(1);
    expect(after.get('sentinel_failovers_succeeded_total{master_name="mymaster"}')).toBe(1);
    expect(after.get('sentinel_master_switches_total{master_name="mymaster"}')).toBe(1);
    // A SENTINEL FAILOVER elects its sentinel at once (+vote-for-leader, +elected-leader).
    expect(after.get('sentinel_elections_won_total{master_name="mymaster"}')).toBe(1);
    expect(after.get('sentinel_votes_total{master_name="mymaster"}')).toBe(1);
    expect(after.get('sentinel_failover_duration_seconds_count{master_name="mymaster"}')).toBe(1);
    expect(after.get('sentinel_failover_duration_seconds_sum{master_name="mymaster"}')).toBeGreaterThan(0);
    expect(after.get('sentinel_current_epoch')).toBe(1);
    expect(after.get(`redis_sentinel_master_config_epoch{${newLabels}}`)).toBe(1);
    expect(after.get(`redis_sentinel_master_status{${newLabels},master_status="ok"}`)).toBe(1);
    expect([...after.keys()].some((k) => k.includes(address) && k.startsWith('redis_sentinel_master_status'))).toBe(false);
    expect(after.get('sentinel_config_flush_duration_seconds_count')).toBeGreaterThan(0);
    // The failover rewrote the config: the listener's line is kept as written.
    expect(s.configLines('http-port')).toEqual([`http-port ${httpPort}`]);

    const detail = await get(httpPort, '/v1/masters/mymaster');
    expect(detail.status).toBe(200);
    const body = JSON.parse(detail.body) as { address: { port: number }; epochs: { config: string }; lastFailovers: Array<Record<string, unknown>> };
    expect(body.address.port).toBe(replica.port);
    expect(body.epochs.config).toBe('1');
    expect(body.lastFailovers).toHaveLength(1);
    expect(body.lastFailovers[0]).toMatchObject({ master: 'mymaster', from: address, to: `127.0.0.1:${replica.port}` });
    const f = body.lastFailovers[0] as { started: number; promoted: number; switched: number };
    expect(f.started).toBeLessThanOrEqual(f.promoted);
    expect(f.promoted).toBeLessThanOrEqual(f.switched);

    expect((await get(httpPort, '/v1/masters/nosuch')).status).toBe(404);
    expect((await get(httpPort, '/metrics', {}, 'POST')).status).toBe(405);
    expect((await get(httpPort, '/nothing-here')).status).toBe(404);
  }, 60_000);

  it('asks for the bearer token when http-token is set, except on the probes', async () => {
    const master = await h.startRedis();
    const httpPort = await h.port();
    await h.startSentinel({ monitors: [{ name: 'mymaster', port: master.port, quorum: 1 }], configLines: [`http-port ${httpPort}`, 'http-token s3cret'] });
    expect((await get(httpPort, '/healthz')).status).toBe(200);
    expect((await get(httpPort, '/readyz')).status).toBe(200);
    for (const path of ['/metrics', '/v1/masters', '/v1/events']) {
      const refused = await get(httpPort, path);
      expect({ path, status: refused.status, auth: refused.headers['www-authenticate'] }).toEqual({ path, status: 401, auth: 'Bearer' });
      expect((await get(httpPort, path, { Authorization: 'Bearer wrong!' })).status).toBe(401);
    }
    expect((await get(httpPort, '/metrics', { Authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await get(httpPort, '/v1/masters', { Authorization: 'Bearer s3cret' })).status).toBe(200);
  }, 30_000);

  it('takes --http-port on the command line like any config line', async () => {
    const master = await h.startRedis();
    const httpPort = await h.port();
    const s = await h.startSentinel({ monitors: [{ name: 'mymaster', port: master.port, quorum: 1 }], args: ['--http-port', String(httpPort)] });
    expect((await get(httpPort, '/healthz')).status).toBe(200);
    expect(samples((await get(httpPort, '/metrics')).body).get('redis_sentinel_masters')).toBe(1);
    // The start-up rewrite keeps it, as it keeps every command-line option.
    await waitFor(() => s.configLines('http-port'), { timeoutMs: 5000, description: 'the line in the rewritten config', until: (l) => l.length > 0 });
    expect(s.configLines('http-port')).toEqual([`http-port ${httpPort}`]);
  }, 30_000);

  it('is off unless configured: a redis-sentinel config opens no HTTP port and logs nothing of it', async () => {
    const master = await h.startRedis();
    const s = await h.startSentinel({ monitors: [{ name: 'mymaster', port: master.port, quorum: 1 }] });
    expect(s.process.log()).not.toMatch(/HTTP/);
    expect(s.configLines('http-port')).toEqual([]);
  }, 30_000);

  it('speaks HTTPS with the RESP port certificate when http-tls is yes', async () => {
    const certs = makeCertificates(h.root);
    const master = await h.startRedis();
    const httpPort = await h.port();
    const tlsPort = await h.port();
    await h.startSentinel({
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1 }],
      configLines: [`tls-port ${tlsPort}`, ...tlsDirectives(certs).map(([k, v]) => `${k} ${v}`), 'tls-auth-clients no', `http-port ${httpPort}`, 'http-tls yes'],
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: httpPort, path: '/metrics', ca: readFileSync(certs.caFile), servername: 'localhost', timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    // Plain HTTP on the HTTPS port gets no answer a client could take for one.
    await expect(get(httpPort, '/healthz')).rejects.toThrow();
  }, 30_000);

  it('counts TILT and its time, and script runs and failures; /readyz says not ready while in TILT', async () => {
    const master = await h.startRedis();
    const httpPort = await h.port();
    const dir = join(h.root, 'scripts');
    mkdirSync(dir, { recursive: true });
    // Run for every warning event; fails for +sdown ones (exit 2: an error, where 1 would be retried).
    const script = join(dir, 'notify.sh');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in +sdown) exit 2;; esac\nexit 0\n');
    chmodSync(script, 0o755);
    const s = await h.startSentinel({
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 1000 }],
      configLines: [`http-port ${httpPort}`, `sentinel notification-script mymaster ${script}`],
    });
    const metric = async (name: string) => samples((await get(httpPort, '/metrics')).body).get(name) ?? 0;

    // The master stops answering: +sdown and +odown are warnings, so the script runs.
    master.kill('SIGSTOP');
    try {
      await waitFor(() => metric('sentinel_script_runs_total'), { timeoutMs: 15_000, description: 'a script run counted', until: (n) => n >= 1 });
      await waitFor(() => metric('sentinel_script_failures_total{reason="error"}'), { timeoutMs: 15_000, description: 'a failed script counted', until: (n) => n >= 1 });
    } finally {
      master.kill('SIGCONT');
    }

    // A sentinel stopped for 3 s sees its timer jump on waking: TILT.
    expect((await get(httpPort, '/readyz')).status).toBe(200);
    s.process.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000));
    s.process.kill('SIGCONT');
    await s.process.waitForLog(/# \+tilt #tilt mode entered/, { timeoutMs: 10_000 });
    expect((await get(httpPort, '/readyz')).status).toBe(503);
    expect(await metric('sentinel_tilt_total')).toBe(1);
    expect(await metric('redis_sentinel_tilt')).toBe(1);
    // The TILT under way counts too.
    const before = await metric('sentinel_tilt_seconds_total');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await metric('sentinel_tilt_seconds_total')) - before).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
