import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { School } from '../../shared/program/model.js';
import {
  OMSK_OBLAST_DISTRICTS,
  SCHOOL_CSV_COLUMNS,
  generateRegion,
  parseSchoolsCsv,
  schoolsToCsv,
  type CsvImportError,
  type ParseSchoolsResult,
} from '../../shared/region/index.js';

const districts = OMSK_OBLAST_DISTRICTS;
const HEADER = SCHOOL_CSV_COLUMNS.join(',');

function errorsOf(result: ParseSchoolsResult): CsvImportError[] {
  expect(result.ok).toBe(false);
  expect('schools' in result).toBe(false);
  return result.ok ? [] : result.errors;
}

function schoolsOf(result: ParseSchoolsResult): School[] {
  if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(result.errors, null, 1)}`);
  return result.schools;
}

describe('parseSchoolsCsv', () => {
  it('imports the sample file (";" separator, BOM, Russian and English district names, quoted values)', () => {
    const text = readFileSync(new URL('../../shared/region/data/schools-sample.csv', import.meta.url), 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const schools = schoolsOf(parseSchoolsCsv(text, { districts }));
    expect(schools).toHaveLength(7);
    for (const s of schools) expect(School.parse(s)).toEqual(s);
    expect(schools[0]).toEqual({
      id: 'sch-0012',
      name: 'МБОУ «Средняя общеобразовательная школа № 12»',
      district: 'omsk-city',
      locality: 'Омск',
      urban: true,
      cohortYear: 2021,
      plannedKit: { 'teacher-laptop': 19, 'student-laptop': 30, mfp: 2, 'interactive-panel': 2, 'network-equipment': 1 },
      teachersToTrain: 38,
      students: 912,
    });
    expect(schools.map((s) => s.district)).toEqual([
      'omsk-city',
      'omsk-city',
      'omsk-city',
      'tarsky',
      'tarsky',
      'bolsherechensky',
      'azovsky',
    ]);
    expect(schools[2]?.name).toBe('МБОУ "Лицей № 64"');
    expect(schools[4]?.name).toBe('МБОУ «Тарская СОШ № 5», корпус 2');
    expect(schools.map((s) => s.urban)).toEqual([true, true, true, true, true, false, false]);
    // Empty optional values: no student count, network equipment not in the plan.
    expect(schools[6]?.students).toBeUndefined();
    expect('students' in (schools[6] as School)).toBe(false);
    expect(schools[6]?.plannedKit).toEqual({ 'teacher-laptop': 2, 'student-laptop': 5, mfp: 1, 'interactive-panel': 1 });
  });

  it('accepts columns in any order and in any case, commas, LF or CRLF, and skips blank rows', () => {
    const cols = [...SCHOOL_CSV_COLUMNS].reverse();
    const row: Record<string, string> = {
      id: 'x1',
      name: 'МКОУ «Покровская СОШ»',
      district: 'ТАРСКИЙ РАЙОН',
      locality: 'Покровка',
      urban: 'Село',
      cohort_year: '2022',
      teachers_to_train: '007',
      students: ' 120 ',
      kit_teacher_laptop: '3',
      kit_student_laptop: '10',
      kit_mfp: '1',
      kit_interactive_panel: '1',
      kit_network_equipment: '0',
    };
    for (const eol of ['\n', '\r\n']) {
      const text = [cols.map((c) => c.toUpperCase()).join(','), '', cols.map((c) => row[c]).join(','), ',,,,,,,,,,,,', ''].join(eol);
      const [s] = schoolsOf(parseSchoolsCsv(text, { districts }));
      expect(s).toMatchObject({ id: 'x1', district: 'tarsky', urban: false, cohortYear: 2022, teachersToTrain: 7, students: 120 });
      expect(s?.plannedKit['network-equipment']).toBe(0);
    }
  });

  it('accepts every spelling of urban', () => {
    const words: [string, boolean][] = [
      ['true', true],
      ['1', true],
      ['да', true],
      ['ДА', true],
      ['город', true],
      ['false', false],
      ['0', false],
      ['нет', false],
      ['село', false],
    ];
    const lines = words.map(([w], i) => `u${i},Школа,omsky,Село,${w},2021,2,,,,,,`);
    const schools = schoolsOf(parseSchoolsCsv([HEADER, ...lines].join('\n'), { districts }));
    expect(schools.map((s) => s.urban)).toEqual(words.map(([, u]) => u));
  });

  it('reports every error of a bad file at once, with line, column and reason, and returns no school', () => {
    const header = SCHOOL_CSV_COLUMNS.filter((c) => c !== 'locality').join(';');
    const text = [
      header,
      'a1;«Школа 1»;tarsky;true;2022;5;100;1;1;1;1;1', // fine
      'a2;«Школа 2»;Atlantis;true;2022;5;100;1;1;1;1;1', // unknown district
      'a1;«Школа 3»;tarsky;true;2022;5;100;1;1;1;1;1', // duplicate id
      'a4;«Школа 4»;tarsky;true;2025;5;100;1;1;1;1;1', // year out of range
      'old;«Школа 5»;tarsky;true;2021;5;100;1;1;1;1;1', // id exists already
      'a6;;tarsky;может быть;20x1;-3;1.5;1;1;1;1;1', // empty name, bad urban, year, negative, non-integer
      'a7;«Школа 7»;tarsky;true;2021;5;100;1;1;1', // too few values
      'a 8;«Школа 8»;tarsky;true;2021;5;100;1;1;1;99999;1', // bad id, too many panels
    ].join('\n');
    const errors = errorsOf(parseSchoolsCsv(text, { districts, existingIds: ['old'] }));
    expect(errors).toEqual([
      { line: 1, column: 'locality', reason: 'missing column "locality"' },
      { line: 3, column: 'district', reason: expect.stringMatching(/unknown district "Atlantis"/) },
      { line: 4, column: 'id', reason: 'duplicate id "a1": already used on line 2' },
      { line: 5, column: 'cohort_year', reason: 'the cohort year must be 2021, 2022, 2023 or 2024, got 2025' },
      { line: 6, column: 'id', reason: 'id "old" already exists' },
      { line: 7, column: 'name', reason: 'is empty; a value is required' },
      { line: 7, column: 'urban', reason: expect.stringMatching(/got "может быть"/) },
      { line: 7, column: 'cohort_year', reason: 'must be a whole number, got "20x1"' },
      { line: 7, column: 'teachers_to_train', reason: 'must not be negative, got "-3"' },
      { line: 7, column: 'students', reason: 'must be a whole number, got "1.5"' },
      { line: 8, column: null, reason: 'the row has 10 values but the header has 12 columns' },
      { line: 9, column: 'id', reason: expect.stringContaining('letters, digits') },
      { line: 9, column: 'kit_interactive_panel', reason: 'must be at most 10000' },
    ]);
  });

  it('refuses unknown, duplicate and unnamed columns, naming them on line 1', () => {
    const text = [`${HEADER},comment,ID,`, 'a1,Школа,tarsky,Тара,true,2022,5,,,,,,,hello,a1', ''].join('\n');
    const errors = errorsOf(parseSchoolsCsv(text, { districts }));
    expect(errors).toEqual([
      { line: 1, column: 'comment', reason: expect.stringMatching(/^unknown column "comment"; the columns are: id, name/) },
      { line: 1, column: 'id', reason: 'column "id" appears more than once' },
    ]);
    const unnamed = errorsOf(parseSchoolsCsv(`id,,${HEADER.slice(3)}\n`, { districts }));
    expect(unnamed).toEqual([{ line: 1, column: null, reason: 'column 2 has no name' }]);
  });

  it('reports each missing column once however many rows there are', () => {
    const header = SCHOOL_CSV_COLUMNS.filter((c) => c !== 'cohort_year' && c !== 'kit_mfp').join(',');
    const rows = Array.from({ length: 5 }, (_, i) => `s${i},Школа,tarsky,Тара,true,5,,,,,`);
    const errors = errorsOf(parseSchoolsCsv([header, ...rows].join('\n'), { districts }));
    expect(errors).toEqual([
      { line: 1, column: 'cohort_year', reason: 'missing column "cohort_year"' },
      { line: 1, column: 'kit_mfp', reason: 'missing column "kit_mfp"' },
    ]);
  });

  it('reports a broken quote at the line where its row starts, and an empty file', () => {
    const text = [HEADER, '"q1,Школа,tarsky,Тара,true,2022,5,,,,,,', 'q2,Школа,tarsky,Тара,true,2022,5,,,,,,'].join('\n');
    expect(errorsOf(parseSchoolsCsv(text, { districts }))).toEqual([
      { line: 2, column: 'id', reason: expect.stringContaining('not closed') },
    ]);
    expect(errorsOf(parseSchoolsCsv('', { districts }))).toEqual([{ line: 1, column: null, reason: expect.stringContaining('empty') }]);
    expect(errorsOf(parseSchoolsCsv('\uFEFF\r\n', { districts }))).toHaveLength(1);
  });

  it('numbers lines by the file, also after values with line breaks', () => {
    const text = [HEADER, 'm1,"МБОУ «Школа»\nкорпус 2",tarsky,Тара,true,2022,5,,,,,,', 'm2,Школа,nowhere,Тара,true,2022,5,,,,,,'].join(
      '\n',
    );
    expect(errorsOf(parseSchoolsCsv(text, { districts }))).toEqual([
      { line: 4, column: 'district', reason: expect.stringContaining('"nowhere"') },
    ]);
  });

  it('accepts a file with only a header as an empty list', () => {
    expect(parseSchoolsCsv(`${HEADER}\r\n`, { districts })).toEqual({ ok: true, schools: [], lines: [] });
  });
});

describe('schoolsToCsv', () => {
  it('round-trips the demo region, with "," and with ";" and a BOM', () => {
    const { schools } = generateRegion({ seed: 11, schools: 120 });
    for (const options of [{}, { separator: ';' as const, bom: true }]) {
      const text = schoolsToCsv(schools, options);
      expect(text.startsWith('\uFEFF')).toBe(options.bom === true);
      expect(text.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(SCHOOL_CSV_COLUMNS.join(options.separator ?? ','));
      expect(schoolsOf(parseSchoolsCsv(text, { districts }))).toEqual(schools);
    }
  });

  it('writes quotes and separators in names so that they read back', () => {
    const school: School = {
      id: 'q-1',
      name: 'МБОУ "Лицей № 64"; корпус 2, этаж 3',
      district: 'omsk-city',
      locality: ' Омск ',
      urban: true,
      cohortYear: 2024,
      plannedKit: { mfp: 0 },
      teachersToTrain: 0,
    };
    const text = schoolsToCsv([school]);
    expect(text).toContain('"МБОУ ""Лицей № 64""; корпус 2, этаж 3"');
    expect(schoolsOf(parseSchoolsCsv(text, { districts }))).toEqual([school]);
    expect(schoolsOf(parseSchoolsCsv(schoolsToCsv([school], { separator: ';' }), { districts }))).toEqual([school]);
  });
});
