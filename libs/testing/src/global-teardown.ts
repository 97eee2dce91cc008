/** Stops what globalSetup started, newest first. */
export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __wattlineTestStops?: (() => Promise<void>)[] }).__wattlineTestStops ?? [];
  for (const stop of stops.reverse()) await stop().catch((error: Error) => process.stderr.write(`[test services] ${error.message}\n`));
}
