import type { DataSource } from 'typeorm';
import type { Level, Page, PriceExplanation, Tariff, TariffRef } from '@wattline/domain';
import { rangePage } from './cursor';
import type { OutboxRepository } from './outbox';
import { moneyText, nullableNumber, returnedRows, time, type Row } from './rows';
import type { Sql } from './sql';

const COLUMNS = `region_id, tariff, interval_start, interval_end, valid_from, valid_to, price, price_ex_tax, tax, currency, level, firm, basis,
  forecast_demand_wh, forecast_supply_wh, model, model_version, feed_in_price, explanation, computed_at`;
const WIDTH = COLUMNS.split(',').length;
/** Rows per INSERT: 20 parameters each, well inside pg's 65,535. */
const CHUNK = 100;

function values(t: Tariff): unknown[] {
  return [
    t.regionId,
    t.tariff,
    new Date(t.intervalStart),
    new Date(t.intervalEnd),
    new Date(t.validFrom),
    new Date(t.validTo),
    t.price,
    t.priceExTax,
    t.tax,
    t.currency,
    t.level,
    t.firm,
    t.basis,
    t.forecastDemandWh,
    t.forecastSupplyWh,
    t.model,
    t.modelVersion,
    t.feedInPrice,
    t.explanation ? JSON.stringify(t.explanation) : null,
    new Date(t.computedAt),
  ];
}

export function toTariff(r: Row): Tariff {
  return {
    regionId: r.region_id as string,
    tariff: r.tariff as string,
    intervalStart: time(r.interval_start),
    intervalEnd: time(r.interval_end),
    validFrom: time(r.valid_from),
    validTo: time(r.valid_to),
    price: moneyText(r.price),
    priceExTax: moneyText(r.price_ex_tax),
    tax: moneyText(r.tax),
    currency: r.currency as string,
    unit: 'kWh',
    level: Number(r.level) as Level,
    firm: r.firm as boolean,
    basis: r.basis as Tariff['basis'],
    forecastDemandWh: nullableNumber(r.forecast_demand_wh),
    forecastSupplyWh: nullableNumber(r.forecast_supply_wh),
    model: r.model as Tariff['model'],
    modelVersion: Number(r.model_version),
    feedInPrice: moneyText(r.feed_in_price),
    computedAt: time(r.computed_at),
    ...(r.explanation ? { explanation: r.explanation as PriceExplanation } : {}),
  };
}

type TariffKey = Pick<Tariff, 'regionId' | 'tariff' | 'intervalStart'>;

/**
 * The `tariffs` table: firm prices as announced, never changed once stored, and the outbox of
 * the `tariffs` stream topic (claim → produce → mark, with `published_at`). The only SQL on it.
 */
export class TariffsRepository implements OutboxRepository<Tariff> {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores firm prices once (an interval already priced keeps its price); answers those stored now. */
  async insertNew(tariffs: Tariff[], sql: Sql = this.dataSource): Promise<Tariff[]> {
    const stored: Tariff[] = [];
    for (let i = 0; i < tariffs.length; i += CHUNK) {
      const chunk = tariffs.slice(i, i + CHUNK);
      const rows: Row[] = await sql.query(
        `INSERT INTO tariffs (${COLUMNS}) VALUES ${chunk.map((_, r) => `(${Array.from({ length: WIDTH }, (_, c) => `$${r * WIDTH + c + 1}`).join(', ')})`).join(', ')}
         ON CONFLICT (region_id, tariff, interval_start) DO NOTHING RETURNING *`,
        chunk.flatMap(values),
      );
      stored.push(...rows.map(toTariff));
    }
    return stored;
  }

  /** The end of the last price a tariff has announced (a pricing change may not start before it). */
  async announcedTo(ref: TariffRef, sql: Sql = this.dataSource): Promise<number | null> {
    const [{ announced_to: announcedTo }] = await sql.query(
      `SELECT max(valid_to) AS announced_to FROM tariffs WHERE region_id = $1 AND tariff = $2`,
      [ref.regionId, ref.tariff],
    );
    return announcedTo === null ? null : time(announcedTo);
  }

  /**
   * Claims up to `limit` unpublished tariffs for `claimant` for `leaseMs`, in one statement
   * (rows another replica is claiming are skipped), oldest first. No lock outlives it.
   */
  async claim(claimant: string, nowMs: number, leaseMs: number, limit = 1000): Promise<Tariff[]> {
    const rows: Row[] = await this.dataSource.query(
      `UPDATE tariffs t SET claimed_by = $1, claimed_until = $3
         FROM (SELECT region_id, tariff, interval_start FROM tariffs
                WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < $2)
                ORDER BY interval_start LIMIT $4 FOR UPDATE SKIP LOCKED) c
        WHERE t.region_id = c.region_id AND t.tariff = c.tariff AND t.interval_start = c.interval_start
        RETURNING t.*`,
      [claimant, new Date(nowMs), new Date(nowMs + leaseMs), limit],
    );
    return returnedRows<Row>(rows)
      .map(toTariff)
      .sort((a, b) => a.intervalStart - b.intervalStart || a.regionId.localeCompare(b.regionId) || a.tariff.localeCompare(b.tariff));
  }

  /** Marks tariffs published; only the claimant's own claims count (an expired claim taken over is not). */
  async markPublished(tariffs: TariffKey[], claimant: string, nowMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tariffs t SET published_at = $4, claimed_until = NULL
         FROM unnest($1::text[], $2::timestamptz[], $5::text[]) AS u(region_id, interval_start, tariff)
        WHERE t.region_id = u.region_id AND t.tariff = u.tariff AND t.interval_start = u.interval_start AND t.claimed_by = $3 AND t.published_at IS NULL`,
      [
        tariffs.map((t) => t.regionId),
        tariffs.map((t) => new Date(t.intervalStart)),
        claimant,
        new Date(nowMs),
        tariffs.map((t) => t.tariff),
      ],
    );
  }

  /** Gives claims back after a failed publish, so the next pass (here or elsewhere) retries at once. */
  async release(tariffs: TariffKey[], claimant: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE tariffs t SET claimed_by = NULL, claimed_until = NULL
         FROM unnest($1::text[], $2::timestamptz[], $4::text[]) AS u(region_id, interval_start, tariff)
        WHERE t.region_id = u.region_id AND t.tariff = u.tariff AND t.interval_start = u.interval_start AND t.claimed_by = $3 AND t.published_at IS NULL`,
      [tariffs.map((t) => t.regionId), tariffs.map((t) => new Date(t.intervalStart)), claimant, tariffs.map((t) => t.tariff)],
    );
  }

  page(ref: TariffRef, from: number, to: number, limit: number, cursor?: string): Promise<Page<Tariff>> {
    return rangePage(
      this.dataSource,
      {
        from: '* FROM tariffs',
        owner: ['region_id', ref.regionId],
        and: ['tariff', ref.tariff],
        time: 'interval_start',
        range: { from, to },
        limit,
        cursor,
      },
      toTariff,
      (t) => t.intervalStart,
    );
  }

  /**
   * One page of a tariff's prices, newest first (as Octopus Energy's API orders unit rates),
   * with how many the range holds. Offset pages: the shape Octopus clients follow.
   */
  async newestFirst(
    ref: TariffRef,
    from: number,
    to: number,
    limit: number,
    offset: number,
  ): Promise<{ count: number; tariffs: Tariff[] }> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT *, count(*) OVER () AS total FROM tariffs
        WHERE region_id = $1 AND tariff = $6 AND interval_end > $2 AND interval_start < $3
        ORDER BY interval_start DESC LIMIT $4 OFFSET $5`,
      [ref.regionId, new Date(from), new Date(to), limit, offset, ref.tariff],
    );
    if (rows.length > 0) return { count: Number(rows[0].total), tariffs: rows.map(toTariff) };
    if (offset === 0) return { count: 0, tariffs: [] };
    // Past the last page: the total still says how many there are.
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*) AS total FROM tariffs WHERE region_id = $1 AND tariff = $4 AND interval_end > $2 AND interval_start < $3`,
      [ref.regionId, new Date(from), new Date(to), ref.tariff],
    );
    return { count: Number(total), tariffs: [] };
  }

  /** The firm price of the interval that contains `atMs`, if one was announced. */
  async at(ref: TariffRef, atMs: number): Promise<Tariff | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND tariff = $3 AND valid_from <= $2 AND valid_to > $2 ORDER BY interval_start DESC LIMIT 1`,
      [ref.regionId, new Date(atMs), ref.tariff],
    );
    return rows.length === 0 ? null : toTariff(rows[0]);
  }

  /** A tariff's firm price for the interval starting at `intervalStart`, with its explanation. */
  async starting(ref: TariffRef, intervalStart: number): Promise<Tariff | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM tariffs WHERE region_id = $1 AND tariff = $3 AND interval_start = $2`, [
      ref.regionId,
      new Date(intervalStart),
      ref.tariff,
    ]);
    return rows.length === 0 ? null : toTariff(rows[0]);
  }

  /** A tariff's firm prices of intervals starting in [from, to), in order. */
  async between(ref: TariffRef, from: number, to: number): Promise<Tariff[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND tariff = $4 AND interval_start >= $2 AND interval_start < $3 ORDER BY interval_start`,
      [ref.regionId, new Date(from), new Date(to), ref.tariff],
    );
    return rows.map(toTariff);
  }

  /** The firm prices of every tariff of a region, of intervals starting in [from, to), by tariff (for bills of households on any of them). */
  async betweenByTariff(regionId: string, from: number, to: number): Promise<Map<string, Tariff[]>> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3 ORDER BY tariff, interval_start`,
      [regionId, new Date(from), new Date(to)],
    );
    const byTariff = new Map<string, Tariff[]>();
    for (const t of rows.map(toTariff)) {
      const list = byTariff.get(t.tariff) ?? [];
      byTariff.set(t.tariff, list);
      list.push(t);
    }
    return byTariff;
  }

  /** Firm prices of a tariff still valid after `from` (what its forecast topic announces). */
  async validAfter(ref: TariffRef, from: number, limit = 5000): Promise<Tariff[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND tariff = $4 AND valid_to > $2 ORDER BY interval_start LIMIT $3`,
      [ref.regionId, new Date(from), limit, ref.tariff],
    );
    return rows.map(toTariff);
  }

  /** The firm price before tax of the interval ending at `intervalStart` (for the ramp limit). */
  async priceBefore(ref: TariffRef, intervalStart: number): Promise<string | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT price_ex_tax FROM tariffs WHERE region_id = $1 AND tariff = $3 AND valid_to = $2`,
      [ref.regionId, new Date(intervalStart), ref.tariff],
    );
    return rows.length === 0 ? null : moneyText(rows[0].price_ex_tax);
  }
}
