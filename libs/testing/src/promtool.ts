import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Prometheus's promtool for alert-rule tests, from Debian's `prometheus` package, installed with
 * apt-get when missing (as Chromium is for the browser tests).
 */
let ensured = false;

export function ensurePromtool(): string {
  if (ensured) return 'promtool';
  const found = () => spawnSync('promtool', ['--version']).status === 0;
  if (!found()) {
    process.stderr.write('[promtool] missing: apt-get install -y prometheus\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { stdio: 'inherit', env });
    if (result.status !== 0 || !found()) throw new Error('apt-get install prometheus failed: promtool is needed for the alert-rule tests');
  }
  process.stderr.write(`[promtool] ${execFileSync('promtool', ['--version']).toString().split('\n')[0]}\n`);
  ensured = true;
  return 'promtool';
}

/** Runs promtool; its exit status and everything it printed. */
export function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(ensurePromtool(), args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
