/** What the bench says to a generator process, and what it answers. */
export interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
}

export type Job =
  | { kind: 'connect'; host: string; port: number; sources: string[]; clients: ClientSpec[]; inFlight: number }
  | { kind: 'publish'; qos: 0 | 1; window: number; topics: string[]; payloads: string[][]; fenceTopic?: string; fencePayload?: string }
  | { kind: 'subscribe'; topic: string; marker: string; subscribe: boolean; timeoutMs: number }
  | { kind: 'close'; graceful: boolean };

export interface JobResult {
  /** Connections made, messages acknowledged, or deliveries received. */
  count: number;
  refused: number;
  failed: number;
  seconds: number;
  /** A uniform sample, in milliseconds. */
  latencies: number[];
  cpuSeconds?: number;
}

export type WorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'ready' }
  | { type: 'result'; id: number; result: JobResult & { cpuSeconds: number } }
  | { type: 'error'; id: number; message: string };
