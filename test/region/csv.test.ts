import { describe, expect, it } from 'vitest';
import { detectSeparator, formatCsvField, readCsv, writeCsv } from '../../shared/region/index.js';

const values = (text: string, sep: ',' | ';' = ',') => readCsv(text, sep).records.map((r) => r.fields.map((f) => f.value));

describe('CSV reader and writer', () => {
  it('detects the separator from the header line, ignoring quoted text and the BOM', () => {
    expect(detectSeparator('a;b;c\n1,5;2;3')).toBe(';');
    expect(detectSeparator('\uFEFFa,b,c\n1;2;3')).toBe(',');
    expect(detectSeparator('"a;b;c",d\n')).toBe(',');
    expect(detectSeparator('single')).toBe(',');
  });

  it('reads quoted values with separators, doubled quotes and line breaks, and counts lines', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",z\n  padded  ,"  kept  "\n';
    const { records, errors } = readCsv(text, ',');
    expect(errors).toEqual([]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 5]);
    expect(records.map((r) => r.fields.map((f) => f.value))).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', 'z'],
      ['padded', '  kept  '],
    ]);
  });

  it('keeps empty trailing values, handles CR-only line ends and a missing final line end', () => {
    expect(values('a;b;\r1;;\r2;3;4', ';')).toEqual([
      ['a', 'b', ''],
      ['1', '', ''],
      ['2', '3', '4'],
    ]);
  });

  it('reports malformed quoting at the line of its record and goes on', () => {
    const { records, errors } = readCsv('a,b\n"x"y,1\n2,3\n"open,4\n5,6\n', ',');
    expect(errors).toEqual([
      { line: 2, field: 0, reason: expect.stringContaining('after a closing quote') },
      { line: 4, field: 0, reason: expect.stringContaining('not closed') },
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
    expect(records[2]?.fields.map((f) => f.value)).toEqual(['2', '3']);
  });

  it('quotes only what needs quoting, and reads back what it wrote', () => {
    expect(formatCsvField('plain', ',')).toBe('plain');
    expect(formatCsvField('a;b', ',')).toBe('a;b');
    expect(formatCsvField('a;b', ';')).toBe('"a;b"');
    expect(formatCsvField('say "hi"', ',')).toBe('"say ""hi"""');
    expect(formatCsvField(' lead', ',')).toBe('" lead"');
    const rows = [
      ['id', 'name'],
      ['1', 'МБОУ «Гимназия № 19», корпус "Б"\nвторая строка'],
      ['2', ''],
    ];
    for (const separator of [',', ';'] as const) {
      const text = writeCsv(rows, { separator, bom: true });
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.endsWith('\r\n')).toBe(true);
      expect(values(text, separator)).toEqual(rows);
    }
  });
});
