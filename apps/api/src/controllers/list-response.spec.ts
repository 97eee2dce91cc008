import { parse } from 'csv-parse/sync';
import { csvCell, toCsv } from './list-response';

describe('CSV exports', () => {
  it("neutralise what a spreadsheet would run as a formula, OWASP's way, and keep numbers numbers", () => {
    for (const formula of ["=cmd|' /C calc'!A0", '@SUM(A1:A9)', '=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '\tx', '\rx']) {
      expect(csvCell(formula)).toBe(`'${formula}`);
    }
    for (const plain of ['-0.0500', '+12', '0.1499', 'Kitakyushu', '', 'a=b']) expect(csvCell(plain)).toBe(plain);
    expect(csvCell(null)).toBe('');
    expect(csvCell(-0.05)).toBe('-0.05');
  });

  it('quote what needs quoting, so a reader gets every cell back as written (neutralised)', () => {
    const rows = [
      { id: 'r1', name: 'Smith, "the" =evil', pricing: { model: 'flat' }, credit: '-0.0500' },
      { id: 'r2', name: '=HYPERLINK("x")\nline two', pricing: null, credit: '0.0000' },
    ];
    const text = toCsv(rows);
    expect(parse(text, { columns: true })).toEqual([
      { id: 'r1', name: 'Smith, "the" =evil', credit: '-0.0500' },
      { id: 'r2', name: `'=HYPERLINK("x")\nline two`, credit: '0.0000' },
    ]);
    expect(text.split('\n')[0]).toBe('id,name,credit');
  });
});
