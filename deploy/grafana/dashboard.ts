import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * The operators' Grafana dashboard over the metrics the alert rules read (deploy/prometheus),
 * written with Grafana's own typed builders (@grafana/grafana-foundation-sdk) rather than hand-kept
 * JSON. `npm run dashboard` writes it to deploy/grafana/wattline.json, which is what Grafana
 * imports; dashboard.spec.ts checks that file is this one, that every query is PromQL that
 * promtool parses, and that every metric it reads is one Wattline exports.
 */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Panel ids, unique within the dashboard (Grafana keys panel links and state by them). */
let nextId = 0;

const query = (expr: string, legend: string) => new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DATASOURCE);

const series = (title: string, unit: string, description: string, ...targets: DataqueryBuilder[]) => {
  const panel = new TimeseriesPanel()
    .id(++nextId)
    .title(title)
    .unit(unit)
    .description(description)
    .datasource(DATASOURCE)
    .height(8)
    .span(12);
  for (const target of targets) panel.withTarget(target);
  return panel;
};

const stat = (title: string, unit: string, description: string, target: DataqueryBuilder) =>
  new StatPanel().id(++nextId).title(title).unit(unit).description(description).datasource(DATASOURCE).height(4).span(6).withTarget(target);

export function wattlineDashboard() {
  return new DashboardBuilder('Wattline — operations')
    .uid('wattline-operations')
    .tags(['wattline'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withRow(new RowBuilder('Prices before the consumption'))
    .withPanel(
      stat(
        'Regions on their fallback',
        'none',
        'Tariffs whose interval in force has no firm price (WattlineFallbackInForce).',
        query('sum(max by (region, tariff) (wattline_price_fallback_in_force))', 'on fallback'),
      ),
    )
    .withPanel(
      stat(
        'Soonest price expiry',
        's',
        'Seconds until the earliest price in force reaches its validTo; negative is expired (WattlinePriceExpiring).',
        query('min(wattline_price_expires_in_seconds)', 'expires in'),
      ),
    )
    .withPanel(
      stat(
        'Schedules late',
        'none',
        'Tariffs whose next day is not wholly priced after its cut-off (WattlineScheduleLate).',
        query('count(max by (region, tariff) (wattline_schedule_late_seconds) > 0) or vector(0)', 'late'),
      ),
    )
    .withPanel(
      stat(
        'Aggregator pass age',
        's',
        'Seconds since the newest pass of any aggregator’s clock (WattlineAggregatorStalled).',
        query('time() - max(wattline_aggregator_last_pass_timestamp_seconds)', 'age'),
      ),
    )
    .withPanel(
      series(
        'Price expires in, per tariff',
        's',
        'Seconds until the price in force expires.',
        query('min by (region, tariff) (wattline_price_expires_in_seconds)', '{{region}}/{{tariff}}'),
      ),
    )
    .withPanel(
      series(
        'Event clock lag and schedule lateness',
        's',
        "How far each region's time has run past its newest reading, and how late tomorrow's schedule is.",
        query('max by (region) (wattline_event_clock_lag_seconds)', 'clock lag {{region}}'),
        query('max by (region, tariff) (wattline_schedule_late_seconds)', 'schedule late {{region}}/{{tariff}}'),
      ),
    )
    .withRow(new RowBuilder('Fleet'))
    .withPanel(
      series(
        'Connected devices',
        'none',
        'MQTT clients per broker instance (WattlineBrokerDown when one stops answering).',
        query('sum by (instance) (wattline_mqtt_connected_clients)', '{{instance}}'),
        query('sum(up{job="wattline-broker"})', 'brokers up'),
      ),
    )
    .withPanel(
      series(
        'Silent devices',
        'none',
        'Devices that reported before and have sent nothing for 4 intervals (WattlineDistrictSilent).',
        query('max by (region) (wattline_meters_silent)', '{{region}}'),
      ),
    )
    .withPanel(
      series(
        'Refusals',
        'ops',
        'CONNECT, PUBLISH and SUBSCRIBE refused per second, by operation and reason.',
        query('sum by (operation, reason) (rate(wattline_mqtt_refusals_total[$__rate_interval]))', '{{operation}}: {{reason}}'),
      ),
    )
    .withRow(new RowBuilder('Pipeline'))
    .withPanel(
      series(
        'Readings',
        'ops',
        'Readings per second: validated by the brokers, stored by the aggregators, rejected by error.',
        query('sum(rate(wattline_readings_accepted_total[$__rate_interval]))', 'accepted'),
        query('sum(rate(wattline_readings_stored_total[$__rate_interval]))', 'stored'),
        query('sum by (error) (rate(wattline_readings_rejected_total[$__rate_interval]))', 'rejected: {{error}}'),
      ),
    )
    .withPanel(
      series(
        'Consumer lag',
        'none',
        "Records each consumer group has not processed, per topic, from Kafka's own offsets (WattlineConsumerLagGrowing).",
        query('sum by (group, topic) (wattline_stream_consumer_lag)', '{{group}} on {{topic}}'),
      ),
    )
    .withPanel(
      series(
        'Dead letters',
        'ops',
        'Records dead-lettered per second, by topic and reason (WattlineDeadLettersGrowing; read them at GET /v1/dead-letters).',
        query('sum by (topic, reason) (rate(wattline_stream_dead_lettered_total[$__rate_interval]))', '{{topic}}: {{reason}}'),
      ),
    )
    .withPanel(
      series(
        'OpenADR webhooks',
        'ops',
        'Webhook notification attempts per second, by outcome (WattlineWebhookDeliveriesFailing on any given up).',
        query('sum by (outcome) (rate(wattline_openadr_webhook_deliveries_total[$__rate_interval]))', '{{outcome}}'),
      ),
    );
}
