import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { dataDirHolder } from '@wattline/persistence';
import { CitySimulator } from './simulator/city-simulator';

/**
 * `npm run simulate`: a city of meters and inverters replaying the real data in data/.
 * Against a running platform (scaled out or not) when WATTLINE_URL, MQTT_URL and ADMIN_API_KEY
 * are set; otherwise it starts the all-in-one platform itself on embedded defaults (DATA_DIR
 * .data/simulate, emptied first) and stops it at the end.
 *   SIM_HOUSEHOLDS (1,000), SIM_INVERTER_SHARE (0.3), SIM_FROM (2013-12-02T00:00:00Z), SIM_SLOTS (48),
 *   SIM_SLOT_MS (1000; 1800000 is real time), SIM_OUTAGE_EVERY (slots, 0 = none; 12), SIM_OUTAGE_SHARE (0.1),
 *   SIM_OUTAGE_SLOTS (3), SIM_SOURCES (loopback source addresses, comma-separated; default: spread
 *   over 127.0.0.1–4 past 25,000 devices)
 */
const number = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative number, got "${raw}"\n`);
    process.exit(78);
  }
  return value;
};

async function main(): Promise<void> {
  const households = number('SIM_HOUSEHOLDS', 1000);
  const inverterShare = Math.min(1, number('SIM_INVERTER_SHARE', 0.3));
  const devices = Math.round(households * (1 + inverterShare));
  let target = { httpUrl: process.env.WATTLINE_URL, mqttUrl: process.env.MQTT_URL, adminKey: process.env.ADMIN_API_KEY };
  let stopPlatform: (() => Promise<void>) | null = null;
  if (!target.httpUrl || !target.mqttUrl || !target.adminKey) {
    const started = await startOwnPlatform(devices);
    target = started.target;
    stopPlatform = started.stop;
  }
  const simulator = new CitySimulator({
    httpUrl: target.httpUrl!,
    mqttUrl: target.mqttUrl!,
    adminKey: target.adminKey!,
    regionId: process.env.SIM_REGION ?? 'london',
    households,
    inverterShare,
    from: Date.parse(process.env.SIM_FROM ?? '2013-12-02T00:00:00Z'),
    slots: number('SIM_SLOTS', 48),
    slotMs: number('SIM_SLOT_MS', 1000),
    outageEvery: number('SIM_OUTAGE_EVERY', 12),
    outageShare: Math.min(1, number('SIM_OUTAGE_SHARE', 0.1)),
    outageSlots: number('SIM_OUTAGE_SLOTS', 3),
    sourceAddresses: process.env.SIM_SOURCES
      ? process.env.SIM_SOURCES.split(',')
      : devices > 25_000
        ? ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']
        : [],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const finish = async (code: number) => {
    await simulator.stop();
    await stopPlatform?.();
    process.exit(code);
  };
  process.once('SIGINT', () => void finish(0));
  process.once('SIGTERM', () => void finish(0));
  try {
    await simulator.run();
    // The last slot's readings may still be in flight: give them a moment to be acknowledged.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await finish(0);
  } catch (error) {
    process.stderr.write(`simulator failed: ${(error as Error).message}\n`);
    await finish(1);
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The all-in-one platform as a child process, on embedded defaults, with room for the city's connections. */
async function startOwnPlatform(devices: number) {
  const adminKey = randomBytes(18).toString('base64url');
  const dataDir = process.env.DATA_DIR ?? path.resolve('.data', 'simulate');
  if (!process.env.DATA_DIR && !process.env.DATABASE_URL) {
    // A fresh city each run: device secrets are shown once, so an old one could not reconnect.
    const holder = dataDirHolder(dataDir);
    if (holder !== null) throw new Error(`DATA_DIR ${dataDir} is in use by process ${holder}: stop that simulation first`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  // Ports of its own unless given: 1883 and 3000 are often taken (a Mosquitto, a running platform).
  const httpPort = process.env.HTTP_PORT ?? String(await freePort());
  const mqttPort = process.env.MQTT_PORT ?? String(await freePort());
  const wsPort = process.env.MQTT_WS_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [path.join(__dirname, 'main.js')], {
    env: {
      ...process.env,
      ADMIN_API_KEY: adminKey,
      HTTP_PORT: httpPort,
      MQTT_PORT: mqttPort,
      MQTT_WS_PORT: wsPort,
      DATA_DIR: dataDir,
      MQTT_MAX_CONNECTIONS: String(Math.max(devices * 2, 1000)),
      // Data from 2013 replayed at speed: lateness in event time, not in the wall clock.
      ALLOWED_LATENESS_SECONDS: process.env.ALLOWED_LATENESS_SECONDS ?? '3600',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (/Wattline is up/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code} before it was up:\n${output}`)));
  });
  process.stdout.write(`simulate: platform started (pid ${child.pid}) on http://127.0.0.1:${httpPort}, mqtt://127.0.0.1:${mqttPort}\n`);
  return {
    target: { httpUrl: `http://127.0.0.1:${httpPort}`, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, adminKey },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

main().catch((error: Error) => {
  process.stderr.write(`simulate failed: ${error.message}\n`);
  process.exit(1);
});
