import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify, parse } from 'yaml';
import { Metrics } from '@wattline/platform';
import { promtool } from '@wattline/testing';
import { wattlineDashboard } from './dashboard';

/**
 * The Grafana dashboard as Grafana would load it (no Grafana runs here): the committed JSON is
 * what the typed builders make, every panel has a place and a query, every query is PromQL that
 * Prometheus's own parser (promtool) accepts, every metric it reads is one Wattline exports, and
 * every metric an alert rule reads has a panel.
 */
const ROOT = path.resolve(__dirname, '../..');
const committed = JSON.parse(readFileSync(path.join(__dirname, 'wattline.json'), 'utf8'));
const exprs: string[] = committed.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
const metricsIn = (text: string) => new Set([...text.matchAll(/\b(wattline_[a-z_]+|up)\b(?!\s*\()/g)].map((m) => m[1]));

describe('Grafana dashboard (deploy/grafana)', () => {
  it('is what the builders make (npm run dashboard writes it), with every panel placed and queried', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(wattlineDashboard().build())));
    expect(committed).toMatchObject({ uid: 'wattline-operations', schemaVersion: expect.any(Number) });
    const panels = committed.panels.filter((p: { type: string }) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(12);
    expect(new Set(panels.map((p: { id: number }) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect([p.title, p.gridPos]).toEqual([p.title, expect.objectContaining({ h: expect.any(Number), w: expect.any(Number) })]);
      expect([p.title, p.targets.length > 0, p.datasource]).toEqual([p.title, true, { type: 'prometheus', uid: '${datasource}' }]);
    }
  });

  it('queries only PromQL that Prometheus parses', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattline-dashboard-'));
    try {
      // Each query as a recording rule, so promtool's rule checker parses it; Grafana's $__rate_interval stands for a range.
      const rules = {
        groups: [
          {
            name: 'dashboard',
            rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') })),
          },
        ],
      };
      writeFileSync(path.join(dir, 'queries.yml'), stringify(rules));
      const run = promtool(['check', 'rules', 'queries.yml'], dir);
      expect([run.status, run.output]).toEqual([0, expect.stringContaining(`SUCCESS: ${exprs.length} rules found`)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads only metrics Wattline exports, and every metric the alert rules read', async () => {
    const exported = new Set((await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name));
    exported.add('up'); // Prometheus's own, per scrape target
    const read = metricsIn(exprs.join('\n'));
    expect([...read].filter((m) => !exported.has(m))).toEqual([]);
    const alerts = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8'));
    const alerted = metricsIn(alerts.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr)).join('\n'));
    expect([...alerted].filter((m) => !read.has(m))).toEqual([]);
  });
});
