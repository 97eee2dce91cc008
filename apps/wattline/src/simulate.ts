import { CitySimulator } from './simulator/city-simulator';

/**
 * The simulator alone, against a running platform (scaled out or not):
 *   WATTLINE_URL=http://localhost:3000 MQTT_URL=mqtt://localhost:1883 ADMIN_API_KEY=… node dist/apps/wattline/simulate.js
 */
const required = (name: string) => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is required\n`);
    process.exit(78);
  }
  return value;
};

const simulator = new CitySimulator({
  httpUrl: required('WATTLINE_URL'),
  mqttUrl: required('MQTT_URL'),
  adminKey: required('ADMIN_API_KEY'),
  regionId: process.env.SIM_REGION ?? 'london',
  households: Number(process.env.SIM_HOUSEHOLDS ?? 79),
  from: Date.parse(process.env.SIM_FROM ?? '2013-12-02T00:00:00Z'),
  slots: Number(process.env.SIM_SLOTS ?? 48),
  slotMs: Number(process.env.SIM_SLOT_MS ?? 1000),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.once('SIGINT', () => void simulator.stop().then(() => process.exit(0)));
simulator.run().then(
  () => simulator.stop().then(() => process.exit(0)),
  (error: Error) => {
    process.stderr.write(`simulator failed: ${error.message}\n`);
    process.exit(1);
  },
);
