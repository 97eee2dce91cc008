import { filterWithin, parseMeterTopic, topicMatches } from './mqtt-topics';

describe('parseMeterTopic', () => {
  it('parses the three meter topics', () => {
    expect(parseMeterTopic('meters/MAC000002/readings')).toEqual({ kind: 'readings', meterId: 'MAC000002' });
    expect(parseMeterTopic('meters/inv-12/status')).toEqual({ kind: 'status', meterId: 'inv-12' });
  });

  it.each(['meters/a/readings/x', 'meters//readings', 'meters/+/readings', 'prices/r/current', 'meters/a/other'])('rejects %s', (topic) => {
    expect(parseMeterTopic(topic)).toBeNull();
  });
});

describe('topicMatches', () => {
  it.each([
    ['prices/+/current', 'prices/r1/current', true],
    ['prices/#', 'prices/r1/forecast', true],
    ['prices/#', 'prices', true], // [MQTT-4.7.1-2]
    ['prices/+', 'prices/r1/current', false],
    ['meters/m1/errors', 'meters/m2/errors', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('filterWithin (is every topic of the filter inside the allowed filter?)', () => {
  it.each([
    ['prices/r1/current', 'prices/r1/#', true],
    ['prices/r1/#', 'prices/r1/#', true],
    ['prices/r1/+', 'prices/r1/#', true],
    ['prices/+/current', 'prices/r1/#', false],
    ['prices/#', 'prices/r1/#', false],
    ['#', 'prices/r1/#', false],
    ['households/m1/summary', 'households/m1/#', true],
    ['households/m2/summary', 'households/m1/#', false],
    ['meters/m1/errors', 'meters/m1/errors', true],
    ['meters/m1/#', 'meters/m1/errors', false],
    ['prices/+/current', 'prices/#', true],
  ])('%s within %s: %s', (filter, allowed, expected) => {
    expect(filterWithin(filter, allowed)).toBe(expected);
  });
});
