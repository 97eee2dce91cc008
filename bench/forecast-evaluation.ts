import Decimal from 'decimal.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, readAusgridSolarHome, readLondonHouseholds } from '@wattline/datasets';
import {
  cutoffBefore,
  evaluateDayAhead,
  forecastIntervals,
  intervalStartsBetween,
  localDayStart,
  localParts,
  nextLocalDayStart,
  priceSequence,
  type IntervalActual,
  type PriceInputs,
  type PricingModel,
} from '@wattline/domain';

/**
 * `npm run forecast:evaluate`: the day-ahead forecast scored on the real data in data/ — per
 * day, made from the history before the day's 16:00 cut-off only — against the seasonal-naive
 * baseline (same half hour a week before), for London demand (79 LCL households, December 2013)
 * and the Sydney home's rooftop generation (Ausgrid customer 12, 2011-12); then one real day
 * priced under each model from that forecast. Prints markdown.
 */
const HALF = 1_800_000;
const log = (line = '') => process.stdout.write(`${line}\n`);
const pct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} %`);
const mean = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
};

function days(series: IntervalActual[], timeZone: string, skipDays: number) {
  const first = localDayStart(series[0].intervalStart, timeZone);
  const last = series[series.length - 1].intervalStart;
  const out: { dayStart: number; cutoff: number; intervalStarts: number[] }[] = [];
  for (let day = first, n = 0; day <= last; day = nextLocalDayStart(day, timeZone), n++) {
    if (n >= skipDays)
      out.push({
        dayStart: day,
        cutoff: cutoffBefore(day, '16:00', timeZone),
        intervalStarts: intervalStartsBetween(day, nextLocalDayStart(day, timeZone), HALF),
      });
  }
  return out;
}

async function main() {
  const london = new Map<number, number>();
  for await (const slot of readLondonHouseholds()) london.set(slot.slotStart, (london.get(slot.slotStart) ?? 0) + slot.consumptionWh);
  const demand: IntervalActual[] = [...london]
    .sort((a, b) => a[0] - b[0])
    .map(([intervalStart, demandWh]) => ({ intervalStart, demandWh, supplyWh: 0 }));
  const sydney: IntervalActual[] = [];
  for await (const slot of readAusgridSolarHome())
    sydney.push({ intervalStart: slot.slotStart, demandWh: slot.consumptionWh, supplyWh: slot.generationWh });

  log('## Day-ahead forecast against the seasonal-naive baseline (same half hour one week earlier)');
  log();
  log('London demand, 79 LCL households (sum), each day forecast at 16:00 the day before from the history before it:');
  log();
  log('| day | forecast MAPE | seasonal-naive MAPE | forecast WAPE | seasonal-naive WAPE |');
  log('|---|---|---|---|---|');
  const londonDays = evaluateDayAhead(demand, days(demand, 'Europe/London', 7), { timeZone: 'Europe/London', quantity: 'demandWh' });
  for (const d of londonDays) {
    const p = localParts(d.dayStart, 'Europe/London');
    log(
      `| ${new Date(d.dayStart).toISOString().slice(0, 10)} ${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][p.weekday]} | ${pct(d.forecast.mape)} | ${pct(d.seasonalNaive.mape)} | ${pct(d.forecast.wape)} | ${pct(d.seasonalNaive.wape)} |`,
    );
  }
  log(
    `| **mean of ${londonDays.length} days** | **${pct(mean(londonDays.map((d) => d.forecast.mape)))}** | **${pct(mean(londonDays.map((d) => d.seasonalNaive.mape)))}** | ${pct(mean(londonDays.map((d) => d.forecast.wape)))} | ${pct(mean(londonDays.map((d) => d.seasonalNaive.wape)))} |`,
  );
  log();
  const solarDays = evaluateDayAhead(sydney, days(sydney, 'Australia/Sydney', 7), { timeZone: 'Australia/Sydney', quantity: 'supplyWh' });
  const winter = solarDays.filter((d) => [6, 7, 8].includes(localParts(d.dayStart, 'Australia/Sydney').month));
  const summer = solarDays.filter((d) => [12, 1, 2].includes(localParts(d.dayStart, 'Australia/Sydney').month));
  log(
    `Sydney rooftop generation (Ausgrid customer 12), ${solarDays.length} days; MAPE over daylight half hours only (night is 0), WAPE over all:`,
  );
  log();
  log('| days | forecast MAPE | seasonal-naive MAPE | forecast WAPE | seasonal-naive WAPE |');
  log('|---|---|---|---|---|');
  for (const [label, set] of [
    ['all', solarDays],
    ['winter (Jun-Aug)', winter],
    ['summer (Dec-Feb)', summer],
  ] as const) {
    log(
      `| ${label} (${set.length}) | ${pct(mean(set.map((d) => d.forecast.mape)))} | ${pct(mean(set.map((d) => d.seasonalNaive.mape)))} | ${pct(mean(set.map((d) => d.forecast.wape)))} | ${pct(mean(set.map((d) => d.seasonalNaive.wape)))} |`,
    );
  }
  log();

  // One real day priced under each model from the day-ahead forecast of London's demand.
  const day = Date.UTC(2013, 11, 17); // a Tuesday
  const cutoff = cutoffBefore(day, '16:00', 'Europe/London');
  const starts = intervalStartsBetween(day, day + 48 * HALF, HALF);
  const made = forecastIntervals(
    demand.filter((d) => d.intervalStart < cutoff),
    starts,
    { timeZone: 'Europe/London', asOf: cutoff },
  );
  if (!made.ok) throw new Error(made.detail);
  const lcl = new Map<number, { price: string; band: string }>();
  for (const line of readFileSync(path.join(DATA_DIR, 'lcl_dtou_tariff_2013.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [time, band, pence] = line.split(',');
    lcl.set(Date.parse(`${time.replace(' ', 'T')}Z`), { price: new Decimal(pence).dividedBy(100).toString(), band });
  }
  const inputs =
    (event: PriceInputs['event'] = null) =>
    (start: number, i: number): Omit<PriceInputs, 'previousPriceExTax'> => ({
      regionId: 'london',
      intervalStart: start,
      intervalEnd: start + HALF,
      timeZone: 'Europe/London',
      forecastDemandWh: made.intervals[i].demandWh,
      forecastSupplyWh: 0,
      forecastMethod: made.intervals[i].method,
      wholesalePrice: null,
      scheduledPrice: lcl.get(start) ?? null,
      event: event && start >= Date.UTC(2013, 11, 17, 17) && start < Date.UTC(2013, 11, 17, 19) ? event : null,
    });
  const cp5: PricingModel = {
    model: 'critical-peak-5',
    currency: 'GBP',
    levelPrices: ['0.0399', '0.1176', '0.1499', '0.3000', '0.6720'],
    capacityKw: 100,
    thresholds: [0.5, 0.7, 0.85, 1.0],
    taxRate: '0.05',
    maxStep: '0.2',
  };
  const models: [string, PricingModel, PriceInputs['event']][] = [
    ['critical-peak-5 (capacity 100 kW, ramp 0.20)', cp5, null],
    ['critical-peak-5 + event 17:00-19:00 (level 5)', cp5, { id: 'example', level: 5 }],
    [
      'time-of-use (example bands)',
      {
        model: 'time-of-use',
        currency: 'GBP',
        taxRate: '0.05',
        bands: [
          { name: 'peak', level: 5, price: '0.3000', from: '16:00', to: '19:00', days: ['weekday'] },
          { name: 'night', level: 1, price: '0.0800', from: '00:00', to: '07:00' },
        ],
        otherwise: { name: 'day', level: 3, price: '0.1500' },
      },
      null,
    ],
    ['flat (LCL Std 14.228 p)', { model: 'flat', currency: 'GBP', price: '0.14228', taxRate: '0.05' }, null],
    ['schedule (LCL dToU 2013, real)', { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176' }, null],
  ];
  const times = ['00:00', '04:00', '08:00', '12:00', '16:00', '17:30', '19:00', '22:00'];
  log(`## ${new Date(day).toISOString().slice(0, 10)} (Tue) priced day-ahead under each model, GBP/kWh incl. 5 % VAT where set (level)`);
  log();
  log(
    `Forecast demand from the history before ${new Date(cutoff).toISOString()}; the wholesale-indexed model is not shown: data/ holds no real wholesale series.`,
  );
  log();
  log(`| model | ${times.join(' | ')} | demand-weighted mean |`);
  log(`|---|${times.map(() => '---').join('|')}|---|`);
  const actual = starts.map((t) => london.get(t) ?? 0);
  for (const [name, pricing, event] of models) {
    const priced = priceSequence(starts.map(inputs(event)), () => pricing, null);
    const cells = times.map((hhmm) => {
      const i = starts.findIndex((t) => new Date(t).toISOString().slice(11, 16) === hhmm);
      const p = priced[i];
      return p.ok ? `${p.price} (${p.level})` : 'fallback';
    });
    let cost = new Decimal(0);
    priced.forEach((p, i) => p.ok && (cost = cost.plus(new Decimal(p.price).times(actual[i]))));
    log(`| ${name} | ${cells.join(' | ')} | ${cost.dividedBy(actual.reduce((a, b) => a + b, 0)).toFixed(4)} |`);
  }
  log();
  log(
    `Forecast vs actual London demand that day: ${(made.intervals.reduce((a, f) => a + f.demandWh, 0) / 1000).toFixed(1)} kWh forecast, ${(actual.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} kWh measured.`,
  );
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
