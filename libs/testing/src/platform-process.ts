import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DocumentedResponses } from './documented-responses';
import { REPO_ROOT, freePort } from './services';

export interface PlatformProcess {
  child: ChildProcess;
  httpUrl: string;
  mqttUrl: string;
  wsUrl: string;
  ports: { http: number; mqtt: number; ws: number };
  adminKey: string;
  output(): string;
  /** SIGTERM and wait; SIGKILL after 15 s. */
  stop(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface PlatformProcessOptions {
  app?: string;
  entry?: string;
  readyLine?: RegExp;
  timeoutMs?: number;
  ports?: PlatformProcess['ports'];
  /** Options for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
}

/**
 * Starts a built app (`node dist/apps/<app>/main.js`) as a real process on free ports and
 * resolves once it has said it is up. End-to-end tests talk to it only over sockets.
 */
export async function startPlatformProcess(
  env: Record<string, string | undefined>,
  options: PlatformProcessOptions = {},
): Promise<PlatformProcess> {
  // Ports chosen here can still be taken by another process before the app listens: try again
  // on other ports then (never when the caller chose them, e.g. to restart on the same ones).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, options);
    } catch (error) {
      if (options.ports || attempt === 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(env: Record<string, string | undefined>, options: PlatformProcessOptions): Promise<PlatformProcess> {
  // A restarted instance can take its predecessor's ports, so clients reconnect to the same address.
  const ports = options.ports ?? { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
  const adminKey = env.ADMIN_API_KEY ?? `test-admin-${Math.random().toString(36).slice(2)}-key`;
  const entry = path.join(REPO_ROOT, 'dist', 'apps', options.app ?? 'wattline', options.entry ?? 'main.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
    cwd: REPO_ROOT,
    // A variable given as undefined is left out (the app's default applies).
    env: Object.fromEntries(
      Object.entries({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HTTP_HOST: '127.0.0.1',
        MQTT_HOST: '127.0.0.1',
        HTTP_PORT: String(ports.http),
        MQTT_PORT: String(ports.mqtt),
        MQTT_WS_PORT: String(ports.ws),
        ADMIN_API_KEY: adminKey,
        LOG_LEVEL: 'warn',
        NO_COLOR: '1',
        ...env,
      }).filter(([, value]) => value !== undefined),
    ),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readyLine = options.readyLine ?? /Wattline is up/;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`platform did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const check = () => {
      if (readyLine.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code} during start-up:\n${output}`));
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    return exited;
  };
  return {
    child,
    ports,
    adminKey,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl: `ws://127.0.0.1:${ports.ws}/mqtt`,
    output: () => output,
    stop: async () => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const code = await kill('SIGTERM');
      clearTimeout(timer);
      return code;
    },
    kill,
  };
}

/** A small REST client for tests: JSON in, `{status, body, headers}` out. */
/**
 * A client of the REST API. Every answer is checked against the OpenAPI document the API serves
 * (route, status, media type and JSON body): a test that reads an answer the document does not
 * describe fails there, naming what differs.
 */
export function restClient(baseUrl: string, apiKey: string) {
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const documented = DocumentedResponses.of(baseUrl);
    const res = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV and plain text stay text
    }
    (await documented).check(method, route, res.status, res.headers.get('content-type'), parsed);
    return { status: res.status, body: parsed as any, headers: res.headers, text };
  };
  return {
    get: (route: string, headers?: Record<string, string>) => call('GET', route, undefined, headers),
    post: (route: string, body: unknown) => call('POST', route, body),
    put: (route: string, body: unknown) => call('PUT', route, body),
  };
}

/** A region's aggregates over a range, every page: readings counted and watt-hours summed. */
export async function regionTotals(
  api: ReturnType<typeof restClient>,
  regionId: string,
  range: string,
): Promise<{ readings: number; demandWh: number }> {
  let readings = 0;
  let demandWh = 0;
  let cursor = '';
  do {
    const page = (
      await api.get(`/v1/regions/${regionId}/aggregates?${range}&limit=10000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    ).body;
    for (const aggregate of page.items) {
      readings += aggregate.readings;
      demandWh += aggregate.demandWh;
    }
    cursor = page.nextCursor ?? '';
  } while (cursor);
  return { readings, demandWh };
}
