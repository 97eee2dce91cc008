import { admitEvent } from './events';
import { DEFAULT_PRICING_MODEL } from './pricing';

const TOKYO = 'Asia/Tokyo';
const at = (iso: string) => Date.parse(iso);

describe('declaring a critical-peak event', () => {
  it('is admitted until the cut-off before its local day, and spends the budget of the local year it starts in', () => {
    // 1 January 2014, 18:00 in Tokyo: the deadline is 16:00 on 31 December, local.
    const start = at('2014-01-01T09:00:00Z');
    expect(admitEvent(start, DEFAULT_PRICING_MODEL, TOKYO, at('2013-12-31T06:59:00Z'))).toEqual({
      ok: true,
      year: 2014,
      yearFrom: at('2013-12-31T15:00:00Z'),
      yearTo: at('2014-12-31T15:00:00Z'),
      budget: 12,
    });
    expect(admitEvent(start, DEFAULT_PRICING_MODEL, TOKYO, at('2013-12-31T07:00:00Z'))).toMatchObject({
      ok: false,
      code: 'conflict',
      detail: expect.stringContaining('was 2013-12-31T07:00:00.000Z'),
    });
  });

  it('follows the region cut-off and budget, and is refused over a model without levels', () => {
    const pricing = { ...DEFAULT_PRICING_MODEL, cutoff: '09:30', eventBudget: 3 };
    expect(admitEvent(at('2013-12-05T03:00:00Z'), pricing, TOKYO, at('2013-12-04T00:29:00Z'))).toMatchObject({
      ok: true,
      budget: 3,
      year: 2013,
    });
    expect(admitEvent(at('2013-12-05T03:00:00Z'), pricing, TOKYO, at('2013-12-04T00:30:00Z'))).toMatchObject({
      ok: false,
      code: 'conflict',
    });
    expect(admitEvent(at('2013-12-05T03:00:00Z'), { model: 'flat', currency: 'JPY', price: '30' }, TOKYO, 0)).toMatchObject({
      ok: false,
      code: 'validation_failed',
    });
  });
});
