import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KitItem, School } from '../../shared/program/model.js';
import { OMSK_OBLAST_DISTRICTS, generateRegion, parseSchoolsCsv, schoolsToCsv } from '../../shared/region/index.js';

const districts = OMSK_OBLAST_DISTRICTS;

/** Text that stresses CSV: separators, quotes, line breaks, padding, Cyrillic and guillemets. */
const tricky = (maxLength: number) =>
  fc
    .oneof(
      fc.string({
        unit: fc.constantFrom('a', 'Ш', 'ё', '«', '»', '"', "'", ',', ';', '\n', '\r', '\r\n', ' ', '\t', '№', '1', '=', '\uFEFF'),
        minLength: 1,
        maxLength,
      }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    )
    .filter((s) => s.length <= maxLength && s.trim() !== '');

const quantity = fc.integer({ min: 0, max: 10_000 });

const school: fc.Arbitrary<School> = fc
  .record(
    {
      id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
      name: tricky(300),
      district: fc.constantFrom(...districts.map((d) => d.id)),
      locality: tricky(120),
      urban: fc.boolean(),
      cohortYear: fc.integer({ min: 2021, max: 2024 }),
      plannedKit: fc.record(Object.fromEntries(KitItem.options.map((k) => [k, quantity])), { requiredKeys: [] }),
      teachersToTrain: fc.integer({ min: 0, max: 1_000 }),
      students: quantity,
    },
    { requiredKeys: ['id', 'name', 'district', 'locality', 'urban', 'cohortYear', 'plannedKit', 'teachersToTrain'] },
  )
  .map((s) => School.parse(s));

const csvOptions = fc.record({ separator: fc.constantFrom(',' as const, ';' as const), bom: fc.boolean() });

describe('schoolsToCsv / parseSchoolsCsv round trip (property)', () => {
  it('reads back any valid school list exactly', () => {
    fc.assert(
      fc.property(fc.uniqueArray(school, { selector: (s) => s.id, maxLength: 12 }), csvOptions, (schools, options) => {
        const result = parseSchoolsCsv(schoolsToCsv(schools, options), { districts });
        expect(result).toStrictEqual({ ok: true, schools, lines: expect.any(Array) });
        // Each school with the line its row starts on, in file order after the header.
        const lines = result.ok ? result.lines : [];
        expect(lines).toHaveLength(schools.length);
        expect(lines.every((line, i) => line > (i === 0 ? 1 : lines[i - 1]!))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reads back demo regions of any seed exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.integer({ min: 1, max: 80 }), csvOptions, (seed, total, options) => {
        const { schools } = generateRegion({ seed, schools: total });
        expect(parseSchoolsCsv(schoolsToCsv(schools, options), { districts })).toStrictEqual({
          ok: true,
          schools,
          lines: schools.map((_, i) => i + 2),
        });
      }),
      { numRuns: 40 },
    );
  });
});
