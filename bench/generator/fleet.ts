import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pin } from '../proc';
import type { ClientSpec, Job, JobResult, WorkerMessage } from './protocol';

export interface FleetResult {
  count: number;
  refused: number;
  failed: number;
  /** The slowest generator's time: the run lasts until the last one is done. */
  seconds: number;
  generatorCpuSeconds: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/**
 * Loopback source addresses for the generator's connections. One address has ~28,000 ephemeral
 * ports, so past that the connections are spread over several. Below it the kernel picks the
 * source itself: an explicit bind() cannot reuse a port still in TIME_WAIT from an earlier
 * storm (connect() can, tcp_tw_reuse), and after a few storms binding made every connect wait
 * (measured: Mosquitto's 10,000 connects took 8–15 s instead of 1 s).
 */
export function sourcesFor(connections: number): string[] {
  return connections > 25_000 ? ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'] : [];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Generator processes (bench/generator/worker.ts), each holding its share of the clients, all
 * pinned to the cores given (the broker under test gets the others). A job runs on every
 * worker at once; results merge: counts add up, the time is the slowest worker's.
 */
export class Fleet {
  private readonly workers: ChildProcess[] = [];
  private nextId = 1;
  /** Which worker holds client i: clients are dealt round robin, and so are their payloads. */
  private shares: number[][] = [];

  private constructor(private readonly size: number) {}

  static async start(size: number, cores: string): Promise<Fleet> {
    const fleet = new Fleet(size);
    for (let i = 0; i < size; i++) {
      const child = fork(path.join(__dirname, 'worker.js'), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      pin(child.pid!, cores);
      fleet.workers.push(child);
    }
    return fleet;
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) worker.kill('SIGKILL');
  }

  private run(worker: ChildProcess, job: Job, onMessage: (m: WorkerMessage) => void): Promise<JobResult & { cpuSeconds: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const listener = (message: WorkerMessage) => {
        onMessage(message);
        if (message.type === 'result' && message.id === id) {
          worker.off('message', listener);
          resolve(message.result);
        } else if (message.type === 'error' && message.id === id) {
          worker.off('message', listener);
          reject(new Error(message.message));
        }
      };
      worker.on('message', listener);
      worker.send({ id, job });
    });
  }

  /** Runs one job per worker; `progress(done)` sums what the workers report. */
  private async all(jobs: Job[], progress?: (done: number) => void, onReady?: () => void): Promise<FleetResult> {
    const done = jobs.map(() => 0);
    let ready = 0;
    const results = await Promise.all(
      jobs.map((job, w) =>
        this.run(this.workers[w], job, (m) => {
          if (m.type === 'progress') {
            done[w] = m.done;
            progress?.(done.reduce((a, b) => a + b, 0));
          } else if (m.type === 'ready' && ++ready === jobs.length) onReady?.();
        }),
      ),
    );
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      count: results.reduce((s, r) => s + r.count, 0),
      refused: results.reduce((s, r) => s + r.refused, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      seconds: round(Math.max(...results.map((r) => r.seconds)), 3),
      generatorCpuSeconds: round(
        results.reduce((s, r) => s + r.cpuSeconds, 0),
        3,
      ),
      latencyMs: {
        p50: round(percentile(latencies, 0.5)),
        p99: round(percentile(latencies, 0.99)),
        max: round(latencies[latencies.length - 1] ?? 0),
      },
    };
  }

  /** `sources`: loopback addresses to bind to, round robin; none (the default below ~25,000 connections): the kernel picks. */
  connect(
    target: { host: string; port: number },
    clients: ClientSpec[],
    options: { sources?: string[]; inFlight: number },
    progress?: (done: number) => void,
  ): Promise<FleetResult> {
    this.shares = this.workers.map(() => []);
    clients.forEach((_, i) => this.shares[i % this.size].push(i));
    const perWorker = Math.max(1, Math.floor(options.inFlight / this.size));
    return this.all(
      this.shares.map((indices) => ({
        kind: 'connect',
        ...target,
        sources: options.sources ?? sourcesFor(clients.length),
        inFlight: perWorker,
        clients: indices.map((i) => clients[i]),
      })),
      progress,
    );
  }

  /** `topics[i]` and `payloads[i]` belong to client i of the last connect. */
  publish(
    options: { qos: 0 | 1; window: number; topics: string[]; payloads: string[][]; fenceTopic?: string; fencePayload?: string },
    progress?: (done: number) => void,
  ): Promise<FleetResult> {
    return this.all(
      this.shares.map((indices) => ({
        kind: 'publish',
        qos: options.qos,
        window: options.window,
        fenceTopic: options.fenceTopic,
        fencePayload: options.fencePayload,
        topics: indices.map((i) => options.topics[i]),
        payloads: indices.map((i) => options.payloads[i]),
      })),
      progress,
    );
  }

  /** Resolves `ready` once every worker has sent its SUBSCRIBEs (or is listening), `done` when all received. */
  awaitDelivery(options: { topic: string; marker: string; subscribe: boolean; timeoutMs: number }, progress?: (done: number) => void) {
    let signal: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (signal = resolve));
    const done = this.all(
      this.shares.map(() => ({ kind: 'subscribe', ...options })),
      progress,
      () => signal(),
    );
    return { ready, done };
  }

  close(graceful: boolean): Promise<FleetResult> {
    return this.all(this.workers.map(() => ({ kind: 'close', graceful })));
  }
}
