import { isTransientDatabaseError } from './errors';

describe('isTransientDatabaseError', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['an operator shutdown (57P01)', { driverError: { code: '57P01' } }],
    ['a deadlock (40P01)', { code: '40P01' }],
    ['too many connections (53300)', { code: '53300' }],
  ])('waits out %s', (_name, error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it.each([
    ['a foreign-key violation (23503)', { driverError: { code: '23503' } }],
    ['a numeric overflow (22003)', { code: '22003' }],
    ['a programming error', new TypeError('cannot read properties of undefined')],
  ])('gives up on %s', (_name, error) => {
    expect(isTransientDatabaseError(error)).toBe(false);
  });
});
