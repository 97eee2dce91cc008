import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { WattlineConfig } from '@wattline/config';
import type { HealthRegistry, Metrics } from '@wattline/platform';

/**
 * MQTT_WORKERS > 1: broker processes on one machine sharing the MQTT listeners (node:cluster;
 * the primary accepts and hands each connection to a worker in turn). The workers are the
 * scale-out instances the broker already supports — sessions, retained messages, the
 * credential cache, presence and revocations in Redis — so a device may land on any of them.
 * The primary holds no MQTT state: it starts the workers, serves HTTP_PORT (/metrics summed
 * over the workers with prom-client's AggregatorRegistry, /health from every worker), forwards
 * SIGTERM and exits when they have all drained.
 */
const HEALTH_REQUEST = 'wattline:health';
const HEALTH_REPLY = 'wattline:health-reply';
const READY = 'wattline:ready';

interface HealthReply {
  type: typeof HEALTH_REPLY;
  id: number;
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export function isClusterPrimary(config: WattlineConfig): boolean {
  return config.MQTT_WORKERS > 1 && cluster.isPrimary;
}

export function runClusterPrimary(config: WattlineConfig, log: (line: string) => void): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  // Workers that said they are up; a replacement joins it when it does (the line is said once).
  const ready = new Set<number>();
  let announced = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string }) => {
      if (message?.type !== READY) return;
      ready.add(worker.id);
      if (!announced && ready.size === config.MQTT_WORKERS) {
        announced = true;
        log(`broker cluster: ${config.MQTT_WORKERS} workers up, MQTT on ${config.MQTT_HOST}:${config.MQTT_PORT}`);
      }
    });
    return worker;
  };
  for (let i = 0; i < config.MQTT_WORKERS; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    // A worker that dies is replaced; its devices reconnect to the others meanwhile.
    log(`broker cluster: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    ready.delete(worker.id);
    setTimeout(fork, 1000).unref();
  });

  let nextId = 1;
  const health = () =>
    Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise<HealthReply | null>((resolve) => {
            const id = nextId++;
            const timer = setTimeout(() => (worker!.off('message', listener), resolve(null)), 2000);
            const listener = (message: HealthReply) => {
              if (message?.type !== HEALTH_REPLY || message.id !== id) return;
              clearTimeout(timer);
              worker!.off('message', listener);
              resolve(message);
            };
            worker!.on('message', listener);
            worker!.send({ type: HEALTH_REQUEST, id });
          }),
      ),
    );

  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      aggregator.clusterMetrics().then(
        (text) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(text),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
      return;
    }
    if (req.url === '/health') {
      void health().then((replies) => {
        const failing = new Set<string>();
        replies.forEach((reply, i) => {
          if (!reply) failing.add(`worker ${i + 1}`);
          else for (const [name, check] of Object.entries(reply.checks)) if (!check.ok) failing.add(name);
        });
        const ok = failing.size === 0 && replies.length === config.MQTT_WORKERS;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: ok ? 'ok' : 'degraded',
            workers: replies.filter(Boolean).length,
            ...(failing.size ? { failing: [...failing] } : {}),
          }),
        );
      });
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/problem+json' })
      .end(JSON.stringify({ title: 'Not Found', status: 404, detail: 'the broker serves /health and /metrics' }));
  });
  server.listen(config.HTTP_PORT, config.HTTP_HOST);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`broker cluster: ${signal}, draining ${Object.keys(cluster.workers ?? {}).length} workers`);
      const workers = Object.values(cluster.workers ?? {}) as Worker[];
      let failed = false;
      void Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once('exit', (code) => ((failed ||= code !== 0), resolve()));
              worker.process.kill('SIGTERM');
            }),
        ),
      ).then(() => {
        server.close();
        process.exit(failed ? 1 : 0);
      });
    });
  }
}

/** In a worker: its metrics go to the primary's /metrics, its health answers the primary's /health. */
export function serveClusterWorker(metrics: Metrics, health: HealthRegistry): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // Constructing one installs the worker's answer to the primary's requests (prom-client
  // lib/cluster.js addListeners); setRegistries alone does not.
  new AggregatorRegistry();
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type !== HEALTH_REQUEST) return;
    void health.run().then(({ ok, checks }) => process.send?.({ type: HEALTH_REPLY, id: message.id, ok, checks }));
  });
  process.send?.({ type: READY });
}

export const isClusterWorker = () => cluster.isWorker;
