import { redactSecrets } from './problem.filter';

describe('a URL in the error log', () => {
  it("blanks a display's password and the dashboard's key, and keeps the rest", () => {
    expect(redactSecrets('/display/london?username=disp_x&password=s3cret&meter=MAC000002')).toBe(
      '/display/london?username=disp_x&password=***&meter=MAC000002',
    );
    expect(redactSecrets('/dashboard?key=wl_abc&region=london')).toBe('/dashboard?key=***&region=london');
    expect(redactSecrets('/v1/regions?limit=5')).toBe('/v1/regions?limit=5');
  });
});
