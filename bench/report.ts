import type { ConnectionsResult } from './scenarios/connections';
import type { IngestResult } from './scenarios/ingest';
import type { PipelineResult } from './scenarios/pipeline';
import type { RetainedResult } from './scenarios/retained';

export interface BenchResults {
  date: string;
  machine: Record<string, unknown>;
  ingest?: IngestResult;
  connections?: ConnectionsResult;
  retained?: RetainedResult;
  pipeline?: PipelineResult;
  aggregatorDrain?: { readings: number; readingsPerSecond: number; seconds: number };
}

const n = (value: number | undefined | null, digits = 0) =>
  value === undefined || value === null ? '–' : value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (met: boolean | null, distance: string) => (met === null ? 'not measured' : met ? 'met' : `not met (${distance})`);

/** The markdown table of a run: each scenario side by side with Mosquitto, as ratios, and each target met or how far off. */
export function markdown(r: BenchResults): string {
  const lines: string[] = [`# Bench ${r.date}`, '', `Machine: ${JSON.stringify(r.machine)}`, ''];
  if (r.ingest) {
    lines.push('## 1. Saturated ingest', '', r.ingest.description, '');
    lines.push('| meters | QoS | Wattline msg/s | p50 / p99 ms | broker µs CPU/msg | generator CPU s | Mosquitto msg/s | p50 / p99 ms | broker µs CPU/msg | ratio |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const w of r.ingest.wattline) {
      const m = r.ingest.mosquitto.find((x) => x.meters === w.meters && x.qos === w.qos);
      const ratio = r.ingest.ratios.find((x) => x.meters === w.meters && x.qos === w.qos)?.ratio;
      lines.push(`| ${n(w.meters)} | ${w.qos} | ${n(w.perSecond)} | ${w.latencyMs.p50} / ${w.latencyMs.p99} | ${w.brokerCpuMicrosPerMessage} | ${w.generatorCpuSeconds} | ${n(m?.perSecond)} | ${m ? `${m.latencyMs.p50} / ${m.latencyMs.p99}` : '–'} | ${m?.brokerCpuMicrosPerMessage ?? '–'} | ${ratio ?? '–'} |`);
    }
    lines.push('');
  }
  if (r.connections) {
    const { wattline: w, mosquitto: m } = r.connections;
    lines.push('## 2–3. Connections', '', r.connections.description, '');
    lines.push('| | Wattline | Mosquitto | ratio |', '|---|---|---|---|');
    lines.push(`| cold start (empty cache) | ${n(w.coldStart.connects)} in ${w.coldStart.seconds} s (${n(w.coldStart.connectsPerSecond)}/s), ${w.coldStart.brokerCpuMillisPerConnect} ms CPU each, ${n(w.coldStart.databaseReads)} database reads | ${m ? `${n(m.firstConnect.connects)} in ${m.firstConnect.seconds} s, ${m.firstConnect.brokerCpuMillisPerConnect} ms CPU each` : '–'} | ${m ? n(w.coldStart.connectsPerSecond / m.firstConnect.connectsPerSecond, 3) : '–'} |`);
    lines.push(`| mass reconnect | ${n(w.massReconnect.connects)} in ${w.massReconnect.seconds} s (${n(w.massReconnect.connectsPerSecond)}/s), ${w.massReconnect.brokerCpuMillisPerConnect} ms CPU each, ${n(w.massReconnect.cacheHits)} cache hits | ${m ? `${n(m.massReconnect.connects)} in ${m.massReconnect.seconds} s, ${m.massReconnect.brokerCpuMillisPerConnect} ms CPU each` : '–'} | ${m ? n(w.massReconnect.connectsPerSecond / m.massReconnect.connectsPerSecond, 3) : '–'} |`);
    lines.push(`| idle connections: resident memory each | ${n(w.idle.bytesPerConnection / 1024, 2)} KiB × ${n(w.idle.connections)} | ${m ? `${n(m.idle.bytesPerConnection / 1024, 2)} KiB × ${n(m.idle.connections)}` : '–'} | ${m ? n(w.idle.bytesPerConnection / Math.max(m.idle.bytesPerConnection, 1), 1) : '–'} |`);
    lines.push('');
  }
  if (r.retained) {
    lines.push('## 4. Retained storm', '', r.retained.description, '');
    lines.push('| displays | Wattline: retained to all / live update | Mosquitto: retained to all / live update | ratio (retained) |', '|---|---|---|---|');
    for (const w of r.retained.wattline) {
      const m = r.retained.mosquitto.find((x) => x.displays === w.displays);
      lines.push(`| ${n(w.displays)} | ${w.retained.seconds} s (${n(w.retained.received)}) / ${w.liveUpdate.seconds} s (${n(w.liveUpdate.received)}) | ${m ? `${m.retained.seconds} s (${n(m.retained.received)}) / ${m.liveUpdate.seconds} s (${n(m.liveUpdate.received)})` : '–'} | ${m ? n(w.retained.seconds / m.retained.seconds, 2) : '–'} |`);
    }
    lines.push('');
  }
  if (r.pipeline) {
    const p = r.pipeline;
    lines.push('## 5. Pipeline', '', p.description, '');
    lines.push(`${n(p.readings)} readings: ${n(p.acknowledgedPerSecond)}/s acknowledged, ${n(p.storedPerSecondDuringIngest)}/s stored meanwhile; ${n(p.lagAtEndOfIngest)} acknowledged but not yet stored at the last PUBACK, all stored ${p.drainSeconds} s later. CPU seconds: broker ${p.brokerCpuSeconds}, aggregator ${p.aggregatorCpuSeconds}, Kafka ${p.kafkaCpuSeconds}.`, '');
    lines.push('Price-on-display latency at interval start: not measured by this bench yet.', '');
  }
  if (r.aggregatorDrain) lines.push(`Aggregator alone, draining a backlog of ${n(r.aggregatorDrain.readings)} readings from Kafka: ${n(r.aggregatorDrain.readingsPerSecond)} readings/s.`, '');

  lines.push('## Targets', '', '| target | measured | verdict |', '|---|---|---|');
  const qos1 = r.ingest?.ratios.filter((x) => x.qos === 1 && x.ratio !== null) ?? [];
  const worstQos1 = qos1.length ? Math.min(...qos1.map((x) => x.ratio!)) : null;
  lines.push(`| saturated QoS 1 ingest after Kafka ≥ 0.5× Mosquitto | ${qos1.map((x) => `${x.meters} meters: ${x.ratio}×`).join(', ') || '–'} | ${verdict(worstQos1 === null ? null : worstQos1 >= 0.5, `${n(worstQos1, 3)}× at worst`)} |`);
  const idle = r.connections?.wattline.idle.bytesPerConnection;
  lines.push(`| ≤ 4 KB broker memory per idle authenticated connection | ${idle === undefined ? '–' : `${n(idle / 1024, 2)} KiB`} | ${verdict(idle === undefined ? null : idle <= 4096, `${n((idle ?? 0) / 4096, 1)}× the target`)} |`);
  const storm = r.connections?.wattline.massReconnect;
  lines.push(`| 10,000-meter mass reconnect with authentication ≤ 5 s | ${storm ? `${n(storm.connects)} in ${storm.seconds} s` : '–'} | ${verdict(storm ? storm.seconds <= 5 && storm.connects >= 10_000 : null, `${storm?.seconds} s`)} |`);
  const cold = r.connections?.wattline.coldStart;
  lines.push(`| cold start of 10,000 meters (empty cache) ≤ 10 s | ${cold ? `${n(cold.connects)} in ${cold.seconds} s` : '–'} | ${verdict(cold ? cold.seconds <= 10 && cold.connects >= 10_000 : null, `${cold?.seconds} s`)} |`);
  const w5 = r.retained?.wattline.find((x) => x.displays === 5000);
  const m5 = r.retained?.mosquitto.find((x) => x.displays === 5000);
  const stormRatio = w5 && m5 ? w5.retained.seconds / m5.retained.seconds : null;
  lines.push(`| retained storm to 5,000 displays within 2× Mosquitto's time | ${w5 && m5 ? `${w5.retained.seconds} s against ${m5.retained.seconds} s (${n(stormRatio, 2)}×)` : '–'} | ${verdict(stormRatio === null ? null : stormRatio <= 2 && w5!.retained.received === 5000, `${n(stormRatio, 2)}×`)} |`);
  const p = r.pipeline;
  lines.push(`| the aggregator keeps up with the broker's full ingest | ${p ? `${n(p.storedPerSecondDuringIngest)}/s stored against ${n(p.acknowledgedPerSecond)}/s acknowledged` : '–'} | ${verdict(p ? p.keepsUp : null, `lag ${n(p?.lagAtEndOfIngest)} readings at the end of ingest`)} |`);
  lines.push('');
  return lines.join('\n');
}
