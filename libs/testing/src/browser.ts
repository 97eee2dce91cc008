import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium for browser tests, installed with apt-get when missing (never a browser
 * downloaded by Playwright): playwright-core drives it headless.
 */
export function ensureChromium(): string {
  const find = () => ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  let path = find();
  if (!path) {
    process.stderr.write('[browser] chromium missing: apt-get install -y chromium\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
    if (result.status !== 0) throw new Error('apt-get install chromium failed');
    path = find();
  }
  if (!path) throw new Error('chromium is not installed and apt-get did not install it');
  process.stderr.write(`[browser] ${execFileSync(path, ['--version']).toString().trim()}\n`);
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** What a Chart.js chart on the page draws: each dataset's data, by the id of its canvas (undefined: no chart there). */
export function chartData(page: Page, canvasId: string): Promise<unknown[][] | undefined> {
  return page.evaluate((id) => {
    const chart = (
      window as unknown as { Chart: { getChart(e: HTMLElement | null): { data: { datasets: { data: unknown[] }[] } } | undefined } }
    ).Chart.getChart(document.getElementById(id));
    return chart?.data.datasets.map((d) => d.data);
  }, canvasId);
}
