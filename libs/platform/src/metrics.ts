import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process (GET /metrics). */
export class Metrics {
  readonly registry = new Registry();

  readonly mqttConnections = new Gauge({
    name: 'wattline_mqtt_connected_clients',
    help: 'MQTT clients connected to this broker',
    registers: [this.registry],
  });
  readonly mqttRefusals = new Counter({
    name: 'wattline_mqtt_refusals_total',
    help: 'MQTT operations refused (connect, publish, subscribe), by reason',
    labelNames: ['operation', 'reason'] as const,
    registers: [this.registry],
  });
  readonly publishesReceived = new Counter({
    name: 'wattline_mqtt_publish_received_total',
    help: 'PUBLISH packets received from clients, before authorization and ingest',
    registers: [this.registry],
  });
  readonly credentialLookups = new Counter({
    name: 'wattline_mqtt_credential_lookups_total',
    help: 'CONNECTs that had to read the database (cache miss)',
    registers: [this.registry],
  });
  readonly authCacheHits = new Counter({
    name: 'wattline_mqtt_credential_cache_hits_total',
    help: 'CONNECTs answered from the credential cache',
    registers: [this.registry],
  });
  readonly publishThrottled = new Counter({
    name: 'wattline_mqtt_publish_throttled_total',
    help: 'PUBLISH packets slowed down by the per-client rate limit',
    registers: [this.registry],
  });
  readonly readingsAccepted = new Counter({
    name: 'wattline_readings_accepted_total',
    help: 'Readings validated and handed to the stream',
    registers: [this.registry],
  });
  readonly readingsRejected = new Counter({
    name: 'wattline_readings_rejected_total',
    help: 'Readings rejected by validation, by error code (sent to the dead-letter stream)',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });
  readonly readingsStored = new Counter({
    name: 'wattline_readings_stored_total',
    help: 'Readings stored by the aggregator',
    registers: [this.registry],
  });
  readonly readingsDuplicate = new Counter({
    name: 'wattline_readings_duplicate_total',
    help: 'Readings already stored (redelivery), not counted again',
    registers: [this.registry],
  });
  readonly readingsConflicting = new Counter({
    name: 'wattline_readings_conflict_total',
    help: 'Readings not stored because a different reading holds their identity (seq or time): answered duplicate_conflict and dead-lettered',
    registers: [this.registry],
  });
  readonly readingsLate = new Counter({
    name: 'wattline_readings_late_total',
    help: 'Readings stored after their interval was priced',
    registers: [this.registry],
  });
  readonly tariffsPublished = new Counter({
    name: 'wattline_tariffs_published_total',
    help: 'Interval prices computed and published',
    registers: [this.registry],
  });
  readonly streamDeadLettered = new Counter({
    name: 'wattline_stream_dead_lettered_total',
    help: 'Stream records a consumer could not process (unparseable, invalid_schema, unprocessable), sent to the dead-letter topic',
    labelNames: ['topic', 'reason'] as const,
    registers: [this.registry],
  });
  readonly streamRetries = new Counter({
    name: 'wattline_stream_retries_total',
    help: 'Batches retried after a transient failure (e.g. database unavailable), by topic and consumer group',
    labelNames: ['topic', 'group'] as const,
    registers: [this.registry],
  });
  readonly ingestBatchSeconds = new Histogram({
    name: 'wattline_aggregator_batch_seconds',
    help: 'Time to store one batch of readings',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  // What operators alert on (deploy/prometheus/alerts.yml), set by the aggregator at each pass of its clock.
  // With several aggregators only the one that ran a pass has fresh values: the rules trust an
  // instance's gauges while its last pass is recent.
  readonly lastPassTimestamp = new Gauge({
    name: 'wattline_aggregator_last_pass_timestamp_seconds',
    help: "Wall-clock time of this aggregator's last completed pass of the clock (the tick that closes intervals and moves prices)",
    registers: [this.registry],
  });
  readonly priceExpiresInSeconds = new Gauge({
    name: 'wattline_price_expires_in_seconds',
    help: "Seconds until the price in force of a tariff reaches its validTo, in the region's time (negative: expired, nothing newer announced)",
    labelNames: ['region', 'tariff'] as const,
    registers: [this.registry],
  });
  readonly fallbackInForce = new Gauge({
    name: 'wattline_price_fallback_in_force',
    help: 'Whether the price in force of a tariff is its fallback rate (1) or a firm price (0)',
    labelNames: ['region', 'tariff'] as const,
    registers: [this.registry],
  });
  readonly fallbackAnnounced = new Counter({
    name: 'wattline_price_fallback_announced_total',
    help: 'Intervals whose price in force was announced as the fallback rate (no firm price for them)',
    labelNames: ['region', 'tariff'] as const,
    registers: [this.registry],
  });
  readonly scheduleLateSeconds = new Gauge({
    name: 'wattline_schedule_late_seconds',
    help: "Seconds past the cut-off of a day-ahead tariff's next day with that day not wholly priced (0: on time)",
    labelNames: ['region', 'tariff'] as const,
    registers: [this.registry],
  });
  readonly eventClockLagSeconds = new Gauge({
    name: 'wattline_event_clock_lag_seconds',
    help: "How far the region's time (the wall clock plus its lead) has run past its newest reading",
    labelNames: ['region'] as const,
    registers: [this.registry],
  });
  readonly metersSilent = new Gauge({
    name: 'wattline_meters_silent',
    help: "Devices (not revoked) that have reported but sent nothing for 4 intervals or more of their region's time",
    labelNames: ['region'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'wattline_openadr_webhook_deliveries_total',
    help: 'OpenADR webhook notification attempts, by outcome (delivered, retry, failed: given up after OPENADR_WEBHOOK_ATTEMPTS)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Where the consumer lag is read at each scrape (the stream, once the infrastructure has one). */
  private lagSource: (() => Promise<{ group: string; topic: string; partition: number; lag: number }[]>) | null = null;
  readonly consumerLag = new Gauge({
    name: 'wattline_stream_consumer_lag',
    help: "Records a consumer group of this process has not processed yet, per topic and partition (Kafka: the partition's end against the group's committed offset)",
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.lagSource) return;
      const read = this.lagSource();
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000).unref());
      const lags = await Promise.race([read.catch(() => null), timeout]);
      // Unreadable (Kafka away): no sample rather than a stale one; the stream's own health says why.
      this.consumerLag.reset();
      for (const l of lags ?? []) this.consumerLag.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });

  /** Reads the consumer lag from `source` at each scrape. */
  watchConsumerLag(source: () => Promise<{ group: string; topic: string; partition: number; lag: number }[]>): void {
    this.lagSource = source;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'wattline_' });
  }
}
