import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { freeLowPort, useHarness, waitFor } from '../harness/index.js';

/**
 * The status page in a real browser: Debian's Chromium, driven by playwright-core. A failover
 * must show on the page as it happens (new master address, the failover's steps, the events),
 * and a screenshot of it is kept in test-results/ for a human to look at.
 */

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');

function withoutChromium(): boolean {
  if (existsSync(CHROMIUM)) return false;
  process.stderr.write(`\n*** SKIPPED: "status page in a browser" needs Chromium at ${CHROMIUM} (apt-get install chromium, or CHROMIUM_BIN). ***\n\n`);
  return true;
}

describe.skipIf(withoutChromium())('the status page, in Chromium', () => {
  const h = useHarness('status-page', { scope: 'test' });

  it('shows masters, replicas and sentinels, and a failover as it happens', async () => {
    const master = await h.startRedis();
    const replica = await h.startRedis({ replicaOf: { port: master.port } });
    const httpPort = await h.port();
    const proxyPort = await freeLowPort();
    const s = await h.startSentinel({
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 10_000 }],
      configLines: [`http-port ${httpPort}`, 'http-token page-token', `sentinel proxy-port mymaster ${proxyPort}`],
    });
    const q = h.queries(s.port);
    await waitFor(async () => (await q.replicas('mymaster'))[0]?.['master-link-status'], { timeoutMs: 15_000, description: 'the replica in sync', until: (v) => v === 'ok' });

    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        timeout: 30_000,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`http://127.0.0.1:${httpPort}/?token=page-token`);
      const masterNow = page.locator('section[data-master="mymaster"] [data-role="master-address"]');
      await masterNow.waitFor({ timeout: 10_000 });
      expect(await masterNow.textContent()).toBe(`127.0.0.1:${master.port}`);
      expect(await page.locator('section[data-master="mymaster"] table').first().textContent()).toContain(`127.0.0.1:${replica.port}`);
      const proxyTarget = (port: number) =>
        page.locator('section[data-master="mymaster"] [data-proxy="master"] [data-role="proxy-target"]', { hasText: `127.0.0.1:${port}` });
      await proxyTarget(master.port).waitFor({ timeout: 10_000 });
      await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });

      expect(await q.client.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');

      await page.locator('section[data-master="mymaster"] [data-role="master-address"]', { hasText: `127.0.0.1:${replica.port}` }).waitFor({ timeout: 20_000 });
      await page.locator('#events div[data-type="+switch-master"]').waitFor({ timeout: 10_000 });
      // Where the proxy routes follows the switch.
      await proxyTarget(replica.port).waitFor({ timeout: 10_000 });
      const failover = page.locator('#failovers .failover[data-master="mymaster"]');
      await failover.locator('.step:not(.missing)', { hasText: 'switched' }).waitFor({ timeout: 10_000 });
      const steps = await failover.locator('.step').allTextContents();
      expect(steps.map((t) => t.split(' ')[0])).toEqual(['detected', 'elected', 'promoted', 'switched']);
      // A SENTINEL FAILOVER skips detection; the other three steps happened.
      expect(await failover.locator('.step:not(.missing)').count()).toBe(3);
      expect(await failover.textContent()).toContain(`127.0.0.1:${master.port} → 127.0.0.1:${replica.port}`);

      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = join(ARTIFACTS, 'status-page-after-failover.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
      process.stderr.write(`status page screenshot: ${shot}\n`);
    } finally {
      await browser?.close();
    }
  }, 90_000);
});
