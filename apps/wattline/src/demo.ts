import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dataDirHolder } from '@wattline/persistence';
import { generateSecret } from '@wattline/platform';
import { startPlatform } from './platform';
import { CitySimulator } from './simulator/city-simulator';

/**
 * `npm run demo`: the platform (as `npm start`) plus a simulated London neighbourhood
 * replaying the real LCL smart-meter data. Ports that are taken on this machine (a local
 * Mosquitto on 1883, say) are swapped for free ones, and said so.
 */
async function portOrFree(name: string, preferred: number): Promise<number> {
  if (process.env[name]) return Number(process.env[name]);
  const free = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '0.0.0.0', () => {
        const { port: bound } = server.address() as net.AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  const port = (await free(preferred)) ?? (await free(0))!;
  if (port !== preferred) process.stdout.write(`demo: port ${preferred} is taken, ${name}=${port}\n`);
  return port;
}

async function demo(): Promise<void> {
  process.env.MQTT_PORT = String(await portOrFree('MQTT_PORT', 1883));
  process.env.MQTT_WS_PORT = String(await portOrFree('MQTT_WS_PORT', 8083));
  process.env.HTTP_PORT = String(await portOrFree('HTTP_PORT', 3000));
  process.env.ADMIN_API_KEY ??= `wl_demo_${generateSecret(18)}`;
  process.env.ALLOW_ANONYMOUS_DISPLAYS ??= 'true';
  // The console shows the URLs and the replay's progress, not Nest's start-up chatter.
  process.env.LOG_LEVEL ??= 'warn';
  if (!process.env.DATA_DIR && !process.env.DATABASE_URL) {
    // Meter passwords are shown once: the demo provisions a fresh city each run (never under a running one).
    process.env.DATA_DIR = path.resolve('.data', 'demo');
    const holder = dataDirHolder(process.env.DATA_DIR);
    if (holder !== null) throw new Error(`DATA_DIR ${process.env.DATA_DIR} is in use by process ${holder}: stop that demo first`);
    rmSync(process.env.DATA_DIR, { recursive: true, force: true });
  }
  const platform = await startPlatform();
  const http = `http://localhost:${process.env.HTTP_PORT}`;
  const region = 'london';
  const from = Date.parse(process.env.SIM_FROM ?? '2013-12-02T00:00:00Z');
  const slots = Number(process.env.SIM_SLOTS ?? 48 * 28);
  // The dashboard's link covers the replay: from its first half hour to the end of its last.
  const replayed = `from=${new Date(from).toISOString()}&to=${new Date(from + slots * 1_800_000).toISOString()}`;
  process.stdout.write(
    [
      '',
      `  household display  ${http}/display/${region}`,
      `  control tariff     ${http}/display/${region}?tariff=flat  (the 66 Std homes' flat 14.228p)`,
      `  analysts' dashboard ${http}/dashboard?region=${region}&key=${process.env.ADMIN_API_KEY}&control=Std&${replayed}`,
      `  admin API key      ${process.env.ADMIN_API_KEY}`,
      `  MQTT               mqtt://localhost:${process.env.MQTT_PORT}  (try: mosquitto_sub -p ${process.env.MQTT_PORT} -t 'prices/#' -v)`,
      '',
    ].join('\n'),
  );
  const simulator = new CitySimulator({
    httpUrl: `http://127.0.0.1:${process.env.HTTP_PORT}`,
    mqttUrl: `mqtt://127.0.0.1:${process.env.MQTT_PORT}`,
    adminKey: process.env.ADMIN_API_KEY,
    regionId: region,
    households: Number(process.env.SIM_HOUSEHOLDS ?? 79),
    inverterShare: Number(process.env.SIM_INVERTER_SHARE ?? 0),
    // The trial as it ran: 13 dToU homes on the real 2013 schedule, 66 on the flat control tariff.
    lclTrial: process.env.SIM_TRIAL !== '0',
    from,
    slots,
    slotMs: Number(process.env.SIM_SLOT_MS ?? 1000),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  // On SIGINT or SIGTERM the city goes quiet first, then the platform drains as `npm start` does.
  platform.beforeStop(() => simulator.stop());
  await simulator.run();
  if (!simulator.isStopped) process.stdout.write('demo: replay finished; the platform keeps running (Ctrl-C to stop)\n');
}

demo().catch((error: Error) => {
  process.stderr.write(`demo failed: ${error.message}\n`);
  process.exit(1);
});
