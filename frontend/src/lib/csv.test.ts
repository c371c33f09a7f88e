import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv';

describe('CSV export', () => {
  it('quotes separators, quotes and line breaks', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('renders numbers, booleans and empty values', () => {
    expect(csvCell(0.000125)).toBe('0.000125');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('neutralises spreadsheet formulas in text but not negative numbers', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('-12.5')).toBe('-12.5');
  });

  it('builds a document with a header row and CRLF line ends', () => {
    const rows = [
      { key: 'gpt-4o', requests: 3, cost: 0.5 },
      { key: 'a,b', requests: 1, cost: 0 },
    ];
    const csv = toCsv(rows, [
      { header: 'model', value: (r) => r.key },
      { header: 'requests', value: (r) => r.requests },
      { header: 'cost_usd', value: (r) => r.cost },
    ]);
    expect(csv).toBe('model,requests,cost_usd\r\ngpt-4o,3,0.5\r\n"a,b",1,0\r\n');
  });
});
