import type { ConnectionsResult } from './scenarios/connections';
import type { IngestResult } from './scenarios/ingest';
import type { PipelineResult } from './scenarios/pipeline';
import type { PriceLatencyResult } from './scenarios/price-latency';
import type { RetainedResult } from './scenarios/retained';

export interface BenchResults {
  date: string;
  machine: Record<string, unknown>;
  ingest?: IngestResult;
  connections?: ConnectionsResult;
  retained?: RetainedResult;
  pipeline?: PipelineResult;
  priceLatency?: PriceLatencyResult;
  aggregatorDrain?: { readings: number; readingsPerSecond: number; seconds: number };
}

const n = (value: number | undefined | null, digits = 0) =>
  value === undefined || value === null
    ? '–'
    : value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (met: boolean | null, distance: string) => (met === null ? 'not measured' : met ? 'met' : `not met (${distance})`);

/** The markdown table of a run: each scenario side by side with Mosquitto, as ratios, and each target met or how far off. */
export function markdown(r: BenchResults): string {
  const lines: string[] = [`# Bench ${r.date}`, '', `Machine: ${JSON.stringify(r.machine)}`, ''];
  if (r.ingest) {
    lines.push('## 1. Saturated ingest', '', r.ingest.description, '');
    lines.push(
      '| Wattline workers | meters | QoS | Wattline msg/s | p50 / p99 ms | broker µs CPU/msg | generator CPU s | Mosquitto msg/s | p50 / p99 ms | broker µs CPU/msg | ratio |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const w of r.ingest.wattline) {
      const m = r.ingest.mosquitto.find((x) => x.meters === w.meters && x.qos === w.qos);
      const ratio = r.ingest.ratios.find((x) => x.workers === (w.workers ?? 1) && x.meters === w.meters && x.qos === w.qos)?.ratio;
      lines.push(
        `| ${w.workers ?? 1} | ${n(w.meters)} | ${w.qos} | ${n(w.perSecond)} | ${w.latencyMs.p50} / ${w.latencyMs.p99} | ${w.brokerCpuMicrosPerMessage} | ${w.generatorCpuSeconds} | ${n(m?.perSecond)} | ${m ? `${m.latencyMs.p50} / ${m.latencyMs.p99}` : '–'} | ${m?.brokerCpuMicrosPerMessage ?? '–'} | ${ratio ?? '–'} |`,
      );
    }
    lines.push('');
  }
  if (r.connections) {
    const { mosquitto: m } = r.connections;
    lines.push('## 2–3. Connections', '', r.connections.description, '');
    lines.push('| | Wattline | Mosquitto | ratio |', '|---|---|---|---|');
    for (const w of r.connections.wattline) {
      const who = `${w.workers} worker${w.workers > 1 ? 's' : ''}`;
      lines.push(
        `| cold start (empty cache), ${who} | ${n(w.coldStart.connects)} in ${w.coldStart.seconds} s (${n(w.coldStart.connectsPerSecond)}/s), ${w.coldStart.brokerCpuMillisPerConnect} ms CPU each, ${n(w.coldStart.databaseReads)} database reads | ${m ? `${n(m.firstConnect.connects)} in ${m.firstConnect.seconds} s, ${m.firstConnect.brokerCpuMillisPerConnect} ms CPU each` : '–'} | ${m ? n(w.coldStart.connectsPerSecond / m.firstConnect.connectsPerSecond, 3) : '–'} |`,
      );
      lines.push(
        `| mass reconnect, ${who} | ${n(w.massReconnect.connects)} in ${w.massReconnect.seconds} s (${n(w.massReconnect.connectsPerSecond)}/s), ${w.massReconnect.brokerCpuMillisPerConnect} ms CPU each, ${n(w.massReconnect.cacheHits)} cache hits | ${m ? `${n(m.massReconnect.connects)} in ${m.massReconnect.seconds} s, ${m.massReconnect.brokerCpuMillisPerConnect} ms CPU each` : '–'} | ${m ? n(w.massReconnect.connectsPerSecond / m.massReconnect.connectsPerSecond, 3) : '–'} |`,
      );
      lines.push(
        `| idle connections: resident memory each, ${who} | ${n(w.idle.bytesPerConnection / 1024, 2)} KiB × ${n(w.idle.connections)} (V8 heap ${n((w.idle.heapBytesPerConnection ?? 0) / 1024, 2)} KiB) | ${m ? `${n(m.idle.bytesPerConnection / 1024, 2)} KiB × ${n(m.idle.connections)}` : '–'} | ${m ? n(w.idle.bytesPerConnection / Math.max(m.idle.bytesPerConnection, 1), 1) : '–'} |`,
      );
    }
    lines.push('');
  }
  if (r.retained) {
    lines.push('## 4. Retained storm', '', r.retained.description, '');
    lines.push(
      '| Wattline workers | displays | Wattline: retained to all / live update | Mosquitto: retained to all / live update | ratio (retained) |',
      '|---|---|---|---|---|',
    );
    for (const w of r.retained.wattline) {
      const m = r.retained.mosquitto.find((x) => x.displays === w.displays);
      lines.push(
        `| ${w.workers ?? 1} | ${n(w.displays)} | ${w.retained.seconds} s (${n(w.retained.received)}) / ${w.liveUpdate.seconds} s (${n(w.liveUpdate.received)}) | ${m ? `${m.retained.seconds} s (${n(m.retained.received)}) / ${m.liveUpdate.seconds} s (${n(m.liveUpdate.received)})` : '–'} | ${m ? n(w.retained.seconds / m.retained.seconds, 2) : '–'} |`,
      );
    }
    lines.push('');
  }
  if (r.pipeline) {
    const p = r.pipeline;
    lines.push('## 5. Pipeline', '', p.description, '');
    lines.push(
      `${n(p.readings)} readings: ${n(p.acknowledgedPerSecond)}/s acknowledged, ${n(p.storedPerSecondDuringIngest)}/s stored meanwhile; ${n(p.lagAtEndOfIngest)} acknowledged but not yet stored at the last PUBACK, all stored ${p.drainSeconds} s later. CPU seconds: broker ${p.brokerCpuSeconds}, aggregator ${p.aggregatorCpuSeconds}, Kafka ${p.kafkaCpuSeconds}.`,
      '',
    );
  }
  if (r.priceLatency) {
    const l = r.priceLatency;
    lines.push('## 5c. Price on the display at interval start', '', l.description, '');
    lines.push(
      `Over ${l.boundaries} interval starts the display had the new price in force ${l.latencyMs.p50} ms (median) and at most ${l.latencyMs.max} ms after the interval began (bases: ${Object.entries(
        l.bases,
      )
        .map(([b, c]) => `${b} ${c}`)
        .join(', ')}).`,
      '',
    );
  }
  if (r.aggregatorDrain)
    lines.push(
      `Aggregator alone, draining a backlog of ${n(r.aggregatorDrain.readings)} readings from Kafka: ${n(r.aggregatorDrain.readingsPerSecond)} readings/s.`,
      '',
    );

  lines.push('## Targets', '', '| target | measured | verdict |', '|---|---|---|');
  const best = <T>(items: T[] | undefined, score: (x: T) => number): T | undefined =>
    items?.length ? items.reduce((a, b) => (score(b) > score(a) ? b : a)) : undefined;
  const qos1 = r.ingest?.ratios.filter((x) => x.qos === 1 && x.ratio !== null) ?? [];
  const variants = [...new Set(qos1.map((x) => x.workers))];
  // Per variant its worst QoS 1 ratio; the target counts the best variant.
  const worstByVariant = variants.map((w) => ({
    workers: w,
    ratio: Math.min(...qos1.filter((x) => x.workers === w).map((x) => x.ratio!)),
  }));
  const bestIngest = best(worstByVariant, (x) => x.ratio);
  lines.push(
    `| saturated QoS 1 ingest after Kafka ≥ 0.5× Mosquitto | ${qos1.map((x) => `${x.workers}w ${x.meters} meters: ${x.ratio}×`).join(', ') || '–'} | ${verdict(bestIngest ? bestIngest.ratio >= 0.5 : null, `${n(bestIngest?.ratio, 3)}× for the best variant at its worst meter count; highest single ratio ${n(Math.max(...qos1.map((x) => x.ratio!)), 3)}×`)} |`,
  );
  const idle = best(r.connections?.wattline, (x) => -x.idle.bytesPerConnection);
  lines.push(
    `| ≤ 4 KB broker memory per idle authenticated connection | ${r.connections?.wattline.map((w) => `${w.workers}w: ${n(w.idle.bytesPerConnection / 1024, 2)} KiB`).join(', ') || '–'} | ${verdict(idle ? idle.idle.bytesPerConnection <= 4096 : null, `${n((idle?.idle.bytesPerConnection ?? 0) / 4096, 1)}× the target at best`)} |`,
  );
  const storm = best(r.connections?.wattline, (x) => -x.massReconnect.seconds);
  lines.push(
    `| 10,000-meter mass reconnect with authentication ≤ 5 s | ${r.connections?.wattline.map((w) => `${w.workers}w: ${n(w.massReconnect.connects)} in ${w.massReconnect.seconds} s`).join(', ') || '–'} | ${verdict(storm ? storm.massReconnect.seconds <= 5 && storm.massReconnect.connects >= 10_000 : null, `${storm?.massReconnect.seconds} s at best`)} |`,
  );
  const cold = best(r.connections?.wattline, (x) => -x.coldStart.seconds);
  lines.push(
    `| cold start of 10,000 meters (empty cache) ≤ 10 s | ${r.connections?.wattline.map((w) => `${w.workers}w: ${n(w.coldStart.connects)} in ${w.coldStart.seconds} s`).join(', ') || '–'} | ${verdict(cold ? cold.coldStart.seconds <= 10 && cold.coldStart.connects >= 10_000 : null, `${cold?.coldStart.seconds} s at best`)} |`,
  );
  const m5 = r.retained?.mosquitto.find((x) => x.displays === 5000);
  const w5s = r.retained?.wattline.filter((x) => x.displays === 5000) ?? [];
  const w5 = best(w5s, (x) => -x.retained.seconds);
  const stormRatio = w5 && m5 ? w5.retained.seconds / m5.retained.seconds : null;
  lines.push(
    `| retained storm to 5,000 displays within 2× Mosquitto's time | ${m5 ? `${w5s.map((w) => `${w.workers ?? 1}w: ${w.retained.seconds} s`).join(', ')} against ${m5.retained.seconds} s` : '–'} | ${verdict(stormRatio === null ? null : stormRatio <= 2 && w5!.retained.received === 5000, `${n(stormRatio, 2)}× at best`)} |`,
  );
  const p = r.pipeline;
  lines.push(
    `| the aggregator keeps up with the broker's full ingest | ${p ? `${n(p.storedPerSecondDuringIngest)}/s stored against ${n(p.acknowledgedPerSecond)}/s acknowledged` : '–'} | ${verdict(p ? p.keepsUp : null, `lag ${n(p?.lagAtEndOfIngest)} readings at the end of ingest`)} |`,
  );
  lines.push('');
  return lines.join('\n');
}
