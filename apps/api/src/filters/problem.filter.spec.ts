import { bounded, redactSecrets } from './problem.filter';

describe('a URL in the error log', () => {
  it("blanks a display's password and the dashboard's key, and keeps the rest", () => {
    expect(redactSecrets('/display/london?username=disp_x&password=s3cret&meter=MAC000002')).toBe(
      '/display/london?username=disp_x&password=***&meter=MAC000002',
    );
    expect(redactSecrets('/dashboard?key=wl_abc&region=london')).toBe('/dashboard?key=***&region=london');
    expect(redactSecrets('/v1/regions?limit=5')).toBe('/v1/regions?limit=5');
  });
});

describe('a problem echoing a hostile input', () => {
  it('clips every text it carries, and says how much it left out', () => {
    const long = 'k'.repeat(250_000);
    const problem = bounded({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: `no column "${long}"`,
      errors: Array.from({ length: 50 }, () => ({ field: long, message: long })),
    });
    expect(JSON.stringify(problem).length).toBeLessThan(15_000);
    expect(problem.detail).toMatch(/^no column "k+… \(249612 more characters\)$/);
    expect(problem.errors).toHaveLength(20);
    expect(bounded({ type: 'about:blank', title: 'x', status: 400, detail: 'short' })).toEqual({
      type: 'about:blank',
      title: 'x',
      status: 400,
      detail: 'short',
    });
  });
});
