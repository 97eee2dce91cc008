import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { promtool } from '@wattline/testing';

/**
 * The shipped alert rules, run by Prometheus's own promtool (Debian's `prometheus` package):
 * they load, the scrape configuration that names them loads, every rule's unit test passes,
 * and every alert has a test in which it fires.
 */
const DIR = __dirname;
const yamlOf = (file: string) => parse(readFileSync(path.join(DIR, file), 'utf8'));

describe('alert rules (deploy/prometheus)', () => {
  it('load, as does the scrape configuration that names them', () => {
    const rules = promtool(['check', 'rules', 'alerts.yml'], DIR);
    expect([rules.status, rules.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    const config = promtool(['check', 'config', 'prometheus.yml'], DIR);
    expect([config.status, config.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('each fire when they must and not before, in promtool test rules', () => {
    const run = promtool(['test', 'rules', 'alerts.test.yml'], DIR);
    expect([run.status, run.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('each have a test in which they fire', () => {
    const alerts: string[] = yamlOf('alerts.yml').groups.flatMap((g: { rules: { alert?: string }[] }) =>
      g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
    );
    const firing = new Set<string>(
      yamlOf('alerts.test.yml').tests.flatMap((t: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }) =>
        (t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname),
      ),
    );
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });
});
