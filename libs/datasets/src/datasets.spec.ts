import { halfHourKwToWh, kwhToWh, parseAest, parseGmt } from './index';

describe('dataset conversions', () => {
  it('turns kWh per half hour into Wh without floating-point residue', () => {
    expect(kwhToWh('0.275')).toBe(275);
    expect(kwhToWh('1.0970000000000002')).toBe(1097);
  });

  it('turns average kW over half an hour into Wh', () => {
    expect(halfHourKwToWh('0.48200000000000004')).toBe(241);
    expect(halfHourKwToWh('0.0')).toBe(0);
  });

  it('reads LCL timestamps as UTC and Ausgrid ones at AEST', () => {
    expect(parseGmt('2013-12-02 00:30:00')).toBe(Date.UTC(2013, 11, 2, 0, 30));
    expect(parseAest('2011-07-01 10:00:00')).toBe(Date.UTC(2011, 6, 1, 0, 0));
  });
});
