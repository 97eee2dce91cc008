import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Tariff } from '@wattline/domain';
import { OPENADR_DOCUMENT_SHA256, openAdrDocumentPath } from './openadr-document';
import { eventIdOf, isoDuration, openAdrEvent, openAdrProgram, parseEventId, parseProgramId, programIdOf } from './openadr';

const HALF = 1_800_000;
const day = Date.UTC(2013, 11, 5);
const price = (i: number, value: string, computedAt: number): Tariff =>
  ({
    regionId: 'london',
    tariff: 'dtou',
    intervalStart: day + i * HALF,
    intervalEnd: day + (i + 1) * HALF,
    price: value,
    feedInPrice: '0.0500',
    currency: 'GBP',
    computedAt,
  }) as Tariff;

describe('OpenADR mapping', () => {
  it('is built on the OpenADR Alliance’s 3.1.1 document as released', () => {
    expect(createHash('sha256').update(readFileSync(openAdrDocumentPath())).digest('hex')).toBe(OPENADR_DOCUMENT_SHA256);
  });

  it('gives every tariff (and tariff day) an objectID that maps back to it, and refuses ids it did not make', () => {
    const code = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/);
    fc.assert(
      fc.property(code, code, (regionId, tariff) => {
        const id = programIdOf({ regionId, tariff });
        expect(id).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
        expect(parseProgramId(id)).toEqual({ regionId, tariff });
        expect(parseEventId(eventIdOf({ regionId, tariff }, '2013-12-05'))).toEqual({ ref: { regionId, tariff }, day: '2013-12-05' });
      }),
    );
    for (const bad of ['', 'not base64!', Buffer.from('a/b/c').toString('base64url'), Buffer.from('a').toString('base64url')])
      expect([bad, parseProgramId(bad)]).toEqual([bad, null]);
    expect(parseEventId(eventIdOf({ regionId: 'r', tariff: 't' }, 'tomorrow'))).toBeNull();
  });

  it('writes durations as ISO 8601', () => {
    expect([isoDuration(HALF), isoDuration(3_600_000), isoDuration(5_400_000), isoDuration(900_000), isoDuration(0)]).toEqual([
      'PT30M',
      'PT1H',
      'PT1H30M',
      'PT15M',
      'PT0S',
    ]);
  });

  it('makes a tariff’s day an event: PRICE per interval, EXPORT_PRICE where the tariff pays for export, numbered from the day’s start', () => {
    const pricing = { model: 'flat', currency: 'GBP', price: '0.30', feedInPrice: '0.05' } as const;
    // The first 40 priced at the cut-off, the last 8 a pass later.
    const prices = [
      ...Array.from({ length: 40 }, (_, i) => price(i, '0.3000', 1000)),
      ...Array.from({ length: 8 }, (_, i) => price(40 + i, '0.1200', 2000)),
    ];
    const event = openAdrEvent({ regionId: 'london', tariff: 'dtou' }, '2013-12-05', day, prices.slice(2), pricing);
    expect(event).toMatchObject({
      objectType: 'EVENT',
      programID: programIdOf({ regionId: 'london', tariff: 'dtou' }),
      createdDateTime: new Date(1000).toISOString(),
      modificationDateTime: new Date(2000).toISOString(),
      intervalPeriod: { start: '2013-12-05T00:00:00.000Z', duration: 'PT30M' },
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'GBP' },
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'EXPORT_PRICE', units: 'KWH', currency: 'GBP' },
      ],
    });
    expect(event.intervals[0]).toEqual({
      id: 2,
      intervalPeriod: { start: '2013-12-05T01:00:00.000Z', duration: 'PT30M' },
      payloads: [
        { type: 'PRICE', values: [0.3] },
        { type: 'EXPORT_PRICE', values: [0.05] },
      ],
    });
    expect(event.intervals.at(-1)!.id).toBe(47);
    const flat = openAdrProgram({
      ref: { regionId: 'london', tariff: 'flat' },
      pricing: { model: 'flat', currency: 'GBP', price: '0.14' },
      createdAt: 0,
      modifiedAt: 5,
    });
    expect(flat.payloadDescriptors.map((d) => d.payloadType)).toEqual(['PRICE']);
    expect(flat.targets).toEqual(['region:london', 'tariff:london/flat']);
  });
});
