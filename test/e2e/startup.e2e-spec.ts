import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@wattline/testing';

/** A bad configuration value stops start-up with one line that names it. */
describe('start-up with a bad configuration', () => {
  const start = (app: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'apps', app, 'main.js')], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it.each([
    ['wattline', { MQTT_PORT: 'abc' }, 'MQTT_PORT'],
    ['broker', { KAFKA_BROKERS: 'no-port-here' }, 'KAFKA_BROKERS'],
    ['aggregator', { INTERVAL_SECONDS: '7' }, 'INTERVAL_SECONDS'],
    ['api', { DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
  ])('%s with %o exits 78 with one line naming %s', (app, env, name) => {
    const result = start(app, env);
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(result.stdout).toBe('');
  });
});

/** LOG_FORMAT=json: every log line a process writes is one JSON object a collector can read. */
describe('structured logs', () => {
  it('writes one JSON object per event with LOG_FORMAT=json', async () => {
    const { createTestDatabase, startPlatformProcess } = await import('@wattline/testing');
    const db = await createTestDatabase();
    const broker = await startPlatformProcess(
      { DATABASE_URL: db.url, LOG_FORMAT: 'json', LOG_LEVEL: 'log' },
      { app: 'broker', readyLine: /MQTT on/ },
    );
    try {
      const lines = broker.output().trim().split('\n');
      expect(lines.length).toBeGreaterThan(3);
      const events = lines.map((line) => JSON.parse(line) as { level: number; msg: string; context?: string; time: number });
      const listening = events.find((e) => /^MQTT on /.test(e.msg));
      expect(listening).toMatchObject({ level: 30, context: 'MqttBroker', time: expect.any(Number) });
    } finally {
      expect(await broker.stop()).toBe(0);
      await db.drop();
    }
  });
});
