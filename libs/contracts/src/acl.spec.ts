import { isMeterStatusPayload } from './payloads';
import { canPublish, canSubscribe, mayReceive, priceFiltersOf, type Principal } from './acl';
import { reachesPlatformTopics } from './mqtt-topics';

const onDefault = { regionId: 'r1', defaultTariff: 'dynamic', plan: [{ tariff: 'dynamic', from: null }], clockLead: null };
const meter: Principal = { kind: 'meter', meterId: 'm1', regionId: 'r1', prices: onDefault };
const NOW = Date.UTC(2026, 0, 1);
const display: Principal = { kind: 'anonymous-display' };

describe('ACL', () => {
  it('lets a meter publish only its own readings and status', () => {
    expect(canPublish(meter, 'meters/m1/readings')).toBe(true);
    expect(canPublish(meter, 'meters/m1/status')).toBe(true);
    expect(canPublish(meter, 'meters/m2/readings')).toBe(false);
    expect(canPublish(meter, 'meters/m1/errors')).toBe(false);
    expect(canPublish(meter, 'prices/r1/current')).toBe(false);
  });

  it('lets a meter subscribe to its own tariff’s prices, errors and household only', () => {
    for (const ok of ['prices/r1/current', 'prices/r1/forecast', 'meters/m1/errors', 'households/m1/summary'])
      expect(canSubscribe(meter, ok, NOW)).toBe(true);
    // `prices/r1/#` would reach the region's other tariffs' topics too.
    for (const no of [
      'prices/r1/#',
      'prices/r1/flat/current',
      'prices/r2/current',
      'prices/+/current',
      '#',
      'meters/m2/errors',
      'households/m2/#',
      'meters/+/readings',
    ]) {
      expect(canSubscribe(meter, no, NOW)).toBe(false);
    }
  });

  it('gives a household the price topics of each tariff it is on now or later, in its region’s time, and no other', () => {
    const access = { regionId: 'r1', defaultTariff: 'dynamic', clockLead: null };
    const plan = [
      { tariff: 'dynamic', from: null },
      { tariff: 'flat', from: Date.UTC(2026, 0, 2) },
    ];
    expect(priceFiltersOf({ ...access, plan }, Date.UTC(2026, 0, 1))).toEqual([
      'prices/r1/current',
      'prices/r1/forecast',
      'prices/r1/flat/#',
    ]);
    expect(priceFiltersOf({ ...access, plan }, Date.UTC(2026, 0, 3))).toEqual(['prices/r1/flat/#']);
    // A replay region's time runs a day behind the wall clock: the change is still ahead of it.
    expect(priceFiltersOf({ ...access, plan, clockLead: -2 * 86_400_000 }, Date.UTC(2026, 0, 3))).toHaveLength(3);
    const onFlat: Principal = { ...meter, prices: { ...access, plan: [{ tariff: 'flat', from: null }] } };
    expect(canSubscribe(onFlat, 'prices/r1/flat/current', NOW)).toBe(true);
    expect(canSubscribe(onFlat, 'prices/r1/flat/#', NOW)).toBe(true);
    expect(canSubscribe(onFlat, 'prices/r1/current', NOW)).toBe(false);
    expect(canSubscribe(onFlat, 'prices/r1/dtou/current', NOW)).toBe(false);
  });

  it('stops delivering the old tariff’s prices to subscriptions made before the switch, at the switch', () => {
    const switchAt = Date.UTC(2026, 0, 2);
    const prices = { ...onDefault, plan: [...onDefault.plan, { tariff: 'flat', from: switchAt }] };
    const home: Principal = { ...meter, prices };
    const display: Principal = { kind: 'client', username: 'disp_1', filters: ['households/m1/summary'], prices };
    for (const who of [home, display]) {
      expect(mayReceive(who, 'prices/r1/current', switchAt - 1)).toBe(true);
      expect(mayReceive(who, 'prices/r1/flat/current', switchAt - 1)).toBe(true);
      expect(mayReceive(who, 'prices/r1/current', switchAt)).toBe(false);
      expect(mayReceive(who, 'prices/r1/forecast', switchAt)).toBe(false);
      expect(mayReceive(who, 'prices/r1/flat/current', switchAt)).toBe(true);
      expect(canSubscribe(who, 'prices/r1/current', switchAt)).toBe(false);
      // Not a price topic: what SUBSCRIBE granted stands.
      expect(mayReceive(who, 'households/m1/summary', switchAt)).toBe(true);
    }
    // A service's own filters are not a household's tariff.
    const backOffice: Principal = { kind: 'client', username: 'svc_bi', filters: ['prices/#'] };
    expect(mayReceive(backOffice, 'prices/r1/current', switchAt)).toBe(true);
    expect(mayReceive({ kind: 'anonymous-display' }, 'prices/r1/current', switchAt)).toBe(true);
  });

  it('lets an anonymous display read prices and publish nothing', () => {
    expect(canSubscribe(display, 'prices/+/current', NOW)).toBe(true);
    expect(canSubscribe(display, 'meters/m1/errors', NOW)).toBe(false);
    expect(canPublish(display, 'prices/r1/current')).toBe(false);
  });
});

describe('isMeterStatusPayload', () => {
  it('accepts the status grammar and nothing else', () => {
    expect(isMeterStatusPayload('{"state":"offline"}')).toBe(true);
    expect(isMeterStatusPayload(Buffer.from('{"state":"online","since":"2013-12-02T00:00:00Z"}'))).toBe(true);
    for (const bad of [
      'garbage-not-json',
      '{"state":"on fire"}',
      '{"state":"offline","price":"0.0001"}',
      '[]',
      '{"state":"offline","since":"yesterday"}',
    ]) {
      expect([bad, isMeterStatusPayload(bad)]).toEqual([bad, false]);
    }
  });
});

describe('service publish filters', () => {
  const service: Principal = { kind: 'client', username: 'svc_ops', filters: ['ops/#'], publishFilters: ['ops/#', 'conformance/+/x'] };
  it('let a service publish within its filters and never on platform or $ topics', () => {
    expect(canPublish(service, 'ops/alerts')).toBe(true);
    expect(canPublish(service, 'conformance/a/x')).toBe(true);
    expect(canPublish(service, 'conformance/a/y')).toBe(false);
    expect(canPublish({ ...service, publishFilters: ['#'] }, 'prices/london/current')).toBe(false);
    expect(canPublish({ ...service, publishFilters: ['#'] }, 'meters/m1/readings')).toBe(false);
    expect(canPublish({ ...service, publishFilters: ['#'] }, '$SYS/x')).toBe(false);
    expect(canPublish({ kind: 'client', username: 'disp_x', filters: ['prices/r1/#'] }, 'ops/alerts')).toBe(false);
  });
  it.each([
    ['#', true],
    ['+/x', true],
    ['prices/#', true],
    ['households/m1/summary', true],
    ['$SYS/#', true],
    ['ops/#', false],
    ['conformance/+/x', false],
  ])('%s reaches platform topics: %s', (filter, expected) => {
    expect(reachesPlatformTopics(filter)).toBe(expected);
  });
});
