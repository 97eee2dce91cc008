import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MeterFleet, expectEventually, regionTotals, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * Stopping and starting the platform on its embedded defaults (in-process stream, embedded
 * PostgreSQL under DATA_DIR), as `npm start` and `npm run demo` run it: SIGTERM with meters
 * publishing drains in order and exits 0 with nothing acknowledged lost; a SIGKILLed run's
 * PostgreSQL is cleaned up by the next start; a second instance on the same DATA_DIR refuses.
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004', 'MAC000006'];
const DECEMBER = 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

const decemberTotals = (api: ReturnType<typeof restClient>) => regionTotals(api, 'london', DECEMBER);

describe('lifecycle on the embedded defaults', () => {
  let dataDir: string;
  let platform: PlatformProcess | undefined;
  let fleet: MeterFleet | undefined;
  const env = () => ({ DATA_DIR: dataDir, MQTT_MAX_PUBLISH_RATE: '10000', IDLE_CLOSE_SECONDS: '3600', ALLOWED_LATENESS_SECONDS: '86400' });

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'wattline-lifecycle-'));
  });

  afterAll(async () => {
    await fleet?.close();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('drains on SIGTERM with meters publishing: exit 0, PostgreSQL gone, and after a restart every reading stored once', async () => {
    platform = await startPlatformProcess(env());
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const meters = [];
    for (const id of HOMES) meters.push({ id, password: (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password });
    const url = platform.mqttUrl;
    fleet = await MeterFleet.connect(() => url, meters);
    fleet.start();
    await expectEventually(() => (fleet!.totals.acked >= 200 ? true : undefined), { what: '200 readings acknowledged' });
    const postgres = postmasterPid(dataDir);
    expect(alive(postgres)).toBe(true);

    const signalled = Date.now();
    platform.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => platform!.child.once('exit', (c) => resolve(c)));
    const took = Date.now() - signalled;
    const ackedBeforeStop = fleet.totals.acked;
    expect(code).toBe(0);
    expect(took).toBeLessThan(20_000);
    expect(alive(postgres)).toBe(false);
    expect(existsSync(path.join(dataDir, 'wattline.pid'))).toBe(false);
    process.stderr.write(
      `SIGTERM with ${HOMES.length} meters publishing: exit ${code} after ${took} ms, ${ackedBeforeStop} readings acknowledged before\n`,
    );

    // Restarted on the same ports: the meters reconnect by themselves and resend what was not acknowledged.
    platform = await startPlatformProcess({ ...env(), ADMIN_API_KEY: platform.adminKey }, { ports: platform.ports });
    await fleet.settle();
    const { sent, acked } = fleet.totals;
    expect(acked).toBe(sent);
    const totals = await expectEventually(
      async () => {
        const t = await decemberTotals(restClient(platform!.httpUrl, platform!.adminKey));
        return t.readings >= sent ? t : undefined;
      },
      { what: `${sent} readings stored` },
    );
    expect(totals.readings).toBe(sent);
    expect(totals.demandWh).toBeCloseTo(fleet.sentWh(), 3);
  });

  it('refuses a second instance on a DATA_DIR in use, naming the process that holds it', async () => {
    const second = startPlatformProcess(env(), { timeoutMs: 30_000 });
    await expect(second).rejects.toThrow(
      new RegExp(`DATA_DIR ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by process ${platform!.child.pid}`),
    );
    await expect(second).rejects.toThrow(/exited with 1/);
  });

  it('starts after a SIGKILL on the same DATA_DIR, stopping the PostgreSQL the killed run left behind', async () => {
    const orphan = postmasterPid(dataDir);
    expect(await platform!.kill('SIGKILL')).toBeNull();
    expect(alive(orphan)).toBe(true); // the killed process could not stop it
    platform = await startPlatformProcess({ ...env(), ADMIN_API_KEY: platform!.adminKey, LOG_LEVEL: 'log' }, { ports: platform!.ports });
    expect(platform.output()).toContain(`stopping the PostgreSQL (pid ${orphan}) a killed run left behind`);
    expect(alive(orphan)).toBe(false);
    const meters = (await restClient(platform.httpUrl, platform.adminKey).get('/v1/meters')).body.items;
    expect(meters.map((m: { id: string }) => m.id)).toEqual(HOMES);
    expect(await platform.stop()).toBe(0);
    platform = undefined;
  });

  it('stops `npm run demo` on SIGTERM: the simulated city first, then the platform, exit 0 and nothing acknowledged lost', async () => {
    await fleet?.close();
    fleet = undefined;
    const demoDir = mkdtempSync(path.join(tmpdir(), 'wattline-demo-'));
    try {
      const demo = await startPlatformProcess(
        { DATA_DIR: demoDir, SIM_HOUSEHOLDS: '6', SIM_SLOT_MS: '50', SIM_SLOTS: '2000', LOG_LEVEL: undefined },
        { entry: 'demo.js', readyLine: /simulator: \[\s*20\// },
      );
      const postgres = postmasterPid(demoDir);
      const signalled = Date.now();
      demo.child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => demo.child.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(20_000);
      expect(alive(postgres)).toBe(false);
      const [, acknowledged, unacknowledged] = (/simulator: stopped; (\d+) readings acknowledged, (\d+) not/.exec(demo.output()) ?? []).map(
        Number,
      );
      expect(acknowledged).toBeGreaterThan(0);
      // The console stays short: URLs and progress, no wall of route-mapping lines.
      expect(demo.output()).not.toMatch(/Mapped \{/);

      const after = await startPlatformProcess({ DATA_DIR: demoDir, ADMIN_API_KEY: demo.adminKey });
      try {
        const { readings } = await decemberTotals(restClient(after.httpUrl, after.adminKey));
        // Every acknowledged reading is stored; of the rest only those sent (a batch in flight per household when the link
        // closed, as many readings as queued behind a slow PUBACK) may be stored — once. (The bound was one reading per
        // household: on a slow machine a batch in flight held more, and the test failed with 114 stored for 108 acknowledged.)
        expect(readings).toBeGreaterThanOrEqual(acknowledged);
        expect(readings).toBeLessThanOrEqual(acknowledged + unacknowledged);
      } finally {
        expect(await after.stop()).toBe(0);
      }
    } finally {
      rmSync(demoDir, { recursive: true, force: true });
    }
  });
});
