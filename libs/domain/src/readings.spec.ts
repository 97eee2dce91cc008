import { nestedDeeperThan, parseReadingPayload, validateReading } from './readings';

const NOW = Date.UTC(2013, 11, 2, 12, 0, 0);
const good = { ts: '2013-12-02T00:30:00Z', periodS: 1800, consumptionWh: 275 };

describe('parseReadingPayload', () => {
  it('accepts a single reading and fills the missing energy with zero', () => {
    const { accepted, rejected } = parseReadingPayload('MAC000002', JSON.stringify(good), NOW);
    expect(rejected).toEqual([]);
    expect(accepted).toEqual([
      { meterId: 'MAC000002', ts: Date.UTC(2013, 11, 2, 0, 30), periodS: 1800, consumptionWh: 275, generationWh: 0, seq: null },
    ]);
  });

  it('accepts epoch milliseconds, offsets other than Z, and a sequence number', () => {
    const payload = JSON.stringify({
      readings: [
        { ts: Date.UTC(2013, 11, 2, 1), periodS: 1800, generationWh: 12.5, seq: 7 },
        { ts: '2013-12-02T10:30:00+09:00', periodS: 1800, consumptionWh: 0 },
      ],
    });
    const { accepted, rejected } = parseReadingPayload('inv-1', payload, NOW);
    expect(rejected).toEqual([]);
    expect(accepted.map((r) => [r.ts, r.seq, r.generationWh])).toEqual([
      [Date.UTC(2013, 11, 2, 1), 7, 12.5],
      [Date.UTC(2013, 11, 2, 1, 30), null, 0],
    ]);
  });

  it('refuses a batch element nested 5,000 levels deep without recursing, and keeps the rest of the batch', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const payload = `{"readings":[${JSON.stringify(good)},{"ts":${deep}},${JSON.stringify({ ...good, ts: '2013-12-02T01:00:00Z' })}]}`;
    const { accepted, rejected } = parseReadingPayload('m', payload, NOW);
    expect(accepted.map((r) => r.ts)).toEqual([Date.UTC(2013, 11, 2, 0, 30), Date.UTC(2013, 11, 2, 1)]);
    expect(rejected).toEqual([{ error: 'invalid_payload', detail: 'a reading must not nest deeper than 4 levels', index: 1 }]);
  });

  it('measures nesting depth with an early stop', () => {
    expect(nestedDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestedDeeperThan({ a: { b: 1 } }, 1)).toBe(true);
    expect(nestedDeeperThan([[[]]], 3)).toBe(false);
    expect(nestedDeeperThan([[[[]]]], 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
  });

  it.each([
    ['a calendar date that does not exist', { ...good, ts: '2026-02-30T00:30:00Z' }, 'invalid_timestamp'],
    ['an hour past 23', { ...good, ts: '2013-12-02T24:00:00Z' }, 'invalid_timestamp'],
    ['an offset past 23 hours', { ...good, ts: '2013-12-02T00:30:00+25:00' }, 'invalid_timestamp'],
    ['energy finer than a milliwatt-hour', { ...good, consumptionWh: 1e-7 }, 'invalid_energy'],
  ])('refuses %s instead of storing something else', (_name, reading, error) => {
    const { accepted, rejected } = parseReadingPayload('m', JSON.stringify(reading), NOW);
    expect(accepted).toEqual([]);
    expect(rejected.map((r) => r.error)).toEqual([error]);
  });

  it('keeps 29 February of a leap year and energies to the milliwatt-hour', () => {
    const { accepted } = parseReadingPayload(
      'm',
      JSON.stringify({ ...good, ts: '2012-02-29T12:00:00+09:00', consumptionWh: 275.123 }),
      NOW,
    );
    expect(accepted.map((r) => [r.ts, r.consumptionWh])).toEqual([[Date.UTC(2012, 1, 29, 3), 275.123]]);
  });

  it('refuses a reading that also carries "readings", and an empty batch, instead of acknowledging nothing', () => {
    expect(parseReadingPayload('m', JSON.stringify({ ...good, readings: [] }), NOW).rejected).toEqual([
      { error: 'invalid_payload', detail: expect.stringContaining('unexpected field "ts"') },
    ]);
    expect(parseReadingPayload('m', '{"readings":[]}', NOW).rejected).toEqual([
      { error: 'invalid_payload', detail: 'a batch holds at least one reading' },
    ]);
  });

  it('answers a payload that is not JSON with invalid_json', () => {
    expect(parseReadingPayload('m', '{"ts":', NOW)).toEqual({
      accepted: [],
      rejected: [{ error: 'invalid_json', detail: 'payload is not valid JSON' }],
    });
  });

  it('rejects JSON that is not an object', () => {
    expect(parseReadingPayload('m', '[1,2]', NOW).rejected[0].error).toBe('invalid_payload');
    expect(parseReadingPayload('m', '{"readings":{}}', NOW).rejected[0].error).toBe('invalid_payload');
  });

  it('keeps the good readings of a batch and names the index of each bad one', () => {
    const payload = JSON.stringify({
      readings: [good, { ...good, consumptionWh: -1 }, { ...good, ts: '2013-12-02T01:00:00Z' }, { periodS: 1800 }],
    });
    const { accepted, rejected } = parseReadingPayload('m', payload, NOW);
    expect(accepted).toHaveLength(2);
    expect(rejected).toEqual([
      { error: 'invalid_energy', detail: expect.stringContaining('consumptionWh'), index: 1, element: { ...good, consumptionWh: -1 } },
      { error: 'invalid_timestamp', detail: expect.any(String), index: 3, element: { periodS: 1800 } },
    ]);
  });

  it('refuses a batch of more than 500 readings as a whole', () => {
    const payload = JSON.stringify({ readings: Array.from({ length: 501 }, () => good) });
    const { accepted, rejected } = parseReadingPayload('m', payload, NOW);
    expect(accepted).toEqual([]);
    expect(rejected).toEqual([{ error: 'batch_too_large', detail: expect.stringContaining('501') }]);
  });

  it('accepts a batch of exactly 500', () => {
    const readings = Array.from({ length: 500 }, (_, i) => ({ ...good, seq: i }));
    expect(parseReadingPayload('m', JSON.stringify({ readings }), NOW).accepted).toHaveLength(500);
  });
});

describe('validateReading', () => {
  const reject = (input: unknown) => {
    const result = validateReading('m', input, NOW);
    if (!('error' in result)) throw new Error('expected a rejection');
    return result.error;
  };

  it.each([
    ['a timestamp without offset', { ...good, ts: '2013-12-02T00:30:00' }, 'invalid_timestamp'],
    ['epoch seconds instead of milliseconds', { ...good, ts: 1385944200 }, 'invalid_timestamp'],
    ['a timestamp more than five minutes ahead', { ...good, ts: NOW + 6 * 60_000 }, 'timestamp_in_future'],
    ['a zero period', { ...good, periodS: 0 }, 'invalid_period'],
    ['a fractional period', { ...good, periodS: 1.5 }, 'invalid_period'],
    ['no energy at all', { ts: good.ts, periodS: 1800 }, 'missing_energy'],
    ['energy as a string', { ...good, consumptionWh: '275' }, 'invalid_energy'],
    ['negative generation', { ...good, generationWh: -0.001 }, 'invalid_energy'],
    ['kWh sent as mWh (over 1 MWh)', { ...good, consumptionWh: 2_000_000 }, 'invalid_energy'],
    ['a negative sequence number', { ...good, seq: -1 }, 'invalid_seq'],
    ['a fractional seq epoch', { ...good, seq: 1, seqEpoch: 0.5 }, 'invalid_seq'],
    ['a seq epoch beyond an int', { ...good, seq: 1, seqEpoch: 2 ** 31 }, 'invalid_seq'],
    ['a seq epoch without a seq', { ...good, seqEpoch: 1 }, 'invalid_seq'],
    ['an unknown field', { ...good, kwh: 0.275 }, 'invalid_payload'],
  ])('rejects %s', (_name, input, code) => {
    expect(reject(input)).toBe(code);
  });

  it('carries the epoch of a restarted seq counter, and names none for epoch 0', () => {
    expect(validateReading('m', { ...good, seq: 3, seqEpoch: 2 }, NOW)).toMatchObject({ seq: 3, seqEpoch: 2 });
    expect(validateReading('m', { ...good, seq: 3, seqEpoch: 0 }, NOW)).not.toHaveProperty('seqEpoch');
  });

  it('accepts a timestamp up to five minutes ahead (meter clock drift)', () => {
    expect(validateReading('m', { ...good, ts: NOW + 4 * 60_000 }, NOW)).toMatchObject({ ts: NOW + 4 * 60_000 });
  });
});
