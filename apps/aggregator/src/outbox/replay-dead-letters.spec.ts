import type { DeadLetterRecord, ReadingRecord } from '@wattline/contracts';
import { replayReadings } from './replay-dead-letters.step';

const receivedAt = Date.parse('2013-12-02T10:31:00Z');
const meter = { regionId: 'london', revokedAt: null };
const letter = (fields: Partial<DeadLetterRecord>): DeadLetterRecord => ({
  meterId: 'm1',
  topic: 'meters/m1/readings',
  error: 'invalid_energy',
  detail: 'a rule since relaxed',
  payload: '',
  receivedAt,
  ...fields,
});
const reading = (fields: Record<string, unknown>) =>
  JSON.stringify({ ts: '2013-12-02T10:30:00Z', periodS: 1800, consumptionWh: 250, ...fields });

describe('replaying a readings dead letter', () => {
  it('hands a payload valid by today’s rules to the stream, for its meter’s region, at the time it was received', () => {
    expect(replayReadings(letter({ payload: reading({ seq: 7 }) }), meter)).toEqual({
      records: [
        {
          meterId: 'm1',
          regionId: 'london',
          ts: Date.parse('2013-12-02T10:30:00Z'),
          periodS: 1800,
          consumptionWh: 250,
          generationWh: 0,
          seq: 7,
          receivedAt,
        },
      ],
    });
  });

  it('judges one element of a batch alone, as the broker did', () => {
    const decision = replayReadings(letter({ payload: reading({}), index: 3 }), meter);
    expect('records' in decision && decision.records.map((r) => r.consumptionWh)).toEqual([250]);
  });

  it('refuses what is still wrong, saying why, and the whole payload when one reading of it is', () => {
    expect(replayReadings(letter({ payload: reading({ consumptionWh: -5 }) }), meter)).toEqual({
      refused: expect.stringMatching(/^invalid_energy: "consumptionWh" must be/),
    });
    const batch = JSON.stringify({
      readings: [JSON.parse(reading({})), JSON.parse(reading({ periodS: 0 })), JSON.parse(reading({ ts: 'x' }))],
    });
    expect(replayReadings(letter({ payload: batch }), meter)).toEqual({
      refused: expect.stringMatching(/^invalid_period: .*\(and 1 more\)$/),
    });
    expect(replayReadings(letter({ payload: '{not json', index: 0 }), meter)).toEqual({ refused: 'invalid_json: the element is not JSON' });
  });

  it('counts a reading of a household that moved in the region of its time, and refuses one spanning the move', () => {
    const plan = [
      { regionId: 'london', from: null },
      { regionId: 'leeds', from: Date.parse('2013-12-02T10:00:00Z') },
    ];
    const before = replayReadings(letter({ payload: reading({ ts: '2013-12-02T10:00:00Z' }) }), meter, plan);
    const after = replayReadings(letter({ payload: reading({}) }), meter, plan);
    expect([before, after].map((d) => ('records' in d ? d.records.map((r) => r.regionId) : d.refused))).toEqual([['london'], ['leeds']]);
    expect(replayReadings(letter({ payload: reading({ periodS: 3600 }) }), meter, plan)).toEqual({
      refused: expect.stringContaining("spans the household's move"),
    });
  });

  it('judges a reading at the time it was received, not at the replay', () => {
    const soon = new Date(receivedAt + 10 * 60_000).toISOString();
    expect(replayReadings(letter({ payload: reading({ ts: soon }) }), meter)).toEqual({
      refused: expect.stringMatching(/^timestamp_in_future/),
    });
  });

  it('refuses a meter no longer provisioned or revoked since', () => {
    expect(replayReadings(letter({ payload: reading({}) }), null)).toEqual({ refused: 'meter m1 is not provisioned' });
    expect(replayReadings(letter({ payload: reading({}) }), { regionId: 'london', revokedAt: receivedAt })).toEqual({
      refused: 'meter m1 is revoked',
    });
  });

  it('sends a record the aggregator could not store back as it was, and refuses one that does not decode', () => {
    const record: ReadingRecord = {
      meterId: 'm1',
      regionId: 'london',
      ts: receivedAt - 60_000,
      periodS: 60,
      consumptionWh: 1,
      generationWh: 0,
      seq: null,
      receivedAt,
    };
    const source = { topic: 'meter.readings', partition: 2, offset: '41', key: 'm1' };
    expect(replayReadings(letter({ payload: JSON.stringify(record), source, error: 'unprocessable' }), null)).toEqual({
      records: [record],
    });
    expect(replayReadings(letter({ payload: '{"meterId":1}', source, error: 'invalid_schema' }), null)).toEqual({
      refused: expect.stringMatching(/^invalid_schema: /),
    });
  });
});
