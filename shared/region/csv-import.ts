/**
 * Import and export of the school list as CSV.
 *
 * File format
 * - UTF-8, with or without a byte-order mark; "," or ";" as the separator (judged from the header row);
 *   quoted values as in RFC 4180 (`"МБОУ ""СОШ № 1"", корпус 2"`); CRLF or LF line ends.
 * - The first line is the header: every column below, each once, in any order; names are matched
 *   ignoring case and surrounding spaces. Unknown columns are refused. Rows with no value at all are skipped.
 *
 * | column                  | value                                                        | required value |
 * |-------------------------|--------------------------------------------------------------|----------------|
 * | `id`                    | school id: letters, digits, "-" and "_", up to 64 (`sch-0001`) | yes          |
 * | `name`                  | full name (`МБОУ «Гимназия № 19»`), up to 300 characters      | yes            |
 * | `district`              | district id, or its Russian or English name (`tarsky`, `Тарский район`, `Tarsky District`), any case | yes |
 * | `locality`              | town or village (`Тара`), up to 120 characters               | yes            |
 * | `urban`                 | `true`/`false`, `1`/`0`, `да`/`нет`, `город`/`село` (also `yes`/`no`, `urban`/`rural`) | yes |
 * | `cohort_year`           | year of the school's cohort: 2021, 2022, 2023 or 2024         | yes            |
 * | `teachers_to_train`     | whole number ≥ 0                                             | yes            |
 * | `students`              | whole number ≥ 0, or empty when not known                    | no             |
 * | `kit_teacher_laptop`    | planned teacher laptops, whole number ≥ 0; empty: not in the plan | no        |
 * | `kit_student_laptop`    | planned student laptops (mobile class), as above             | no             |
 * | `kit_mfp`               | planned multifunction printers, as above                     | no             |
 * | `kit_interactive_panel` | planned interactive panels, as above                         | no             |
 * | `kit_network_equipment` | planned sets of network equipment, as above                  | no             |
 *
 * The import is all or nothing: every problem of the file is reported at once, each with its line
 * (1-based; the header is line 1; a row with a line break inside a quoted value is reported at the line
 * where it starts), its column and a reason, and no school is returned while there is any.
 * `data/schools-sample.csv` is a sample file.
 */
import type { z } from 'zod';
import { KitItem, School, type District, type Kit } from '../program/model.js';
import { createDistrictResolver } from './districts.js';
import { detectSeparator, readCsv, writeCsv, type CsvField, type CsvSeparator } from './csv.js';

export const SCHOOL_CSV_COLUMNS = [
  'id',
  'name',
  'district',
  'locality',
  'urban',
  'cohort_year',
  'teachers_to_train',
  'students',
  'kit_teacher_laptop',
  'kit_student_laptop',
  'kit_mfp',
  'kit_interactive_panel',
  'kit_network_equipment',
] as const;
export type SchoolCsvColumn = (typeof SCHOOL_CSV_COLUMNS)[number];

/** The kit column of each kit item. */
export const KIT_CSV_COLUMNS: Readonly<Record<KitItem, SchoolCsvColumn>> = {
  'teacher-laptop': 'kit_teacher_laptop',
  'student-laptop': 'kit_student_laptop',
  mfp: 'kit_mfp',
  'interactive-panel': 'kit_interactive_panel',
  'network-equipment': 'kit_network_equipment',
};

export interface CsvImportError {
  /** 1-based line; the header is line 1. */
  line: number;
  /** The column the problem is in; `null` when it is the row as a whole (e.g. a wrong number of values). */
  column: string | null;
  reason: string;
}

/** The schools of a file that has no problem, with the line each starts on. */
export type ParseSchoolsResult = { ok: true; schools: School[]; lines: number[] } | { ok: false; errors: CsvImportError[] };

export interface ParseSchoolsOptions {
  /** The districts a school may belong to. */
  districts: readonly District[];
  /** Ids that are taken already (schools imported before); a row with one of them is refused. */
  existingIds?: Iterable<string>;
  /**
   * An update file instead: every row must be of a school that exists (its id in `existingIds`), and is
   * that school's new profile.
   */
  updates?: boolean;
}

const URBAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['да', true],
  ['город', true],
  ['yes', true],
  ['urban', true],
  ['false', false],
  ['0', false],
  ['нет', false],
  ['село', false],
  ['no', false],
  ['rural', false],
]);

/** School fields → the column they come from, to put zod's findings on the right column. */
const FIELD_COLUMNS: Readonly<Record<string, SchoolCsvColumn>> = {
  id: 'id',
  name: 'name',
  district: 'district',
  locality: 'locality',
  urban: 'urban',
  cohortYear: 'cohort_year',
  teachersToTrain: 'teachers_to_train',
  students: 'students',
};

function columnOfIssue(issue: z.core.$ZodIssue): string | null {
  const [first, second] = issue.path;
  if (first === 'plannedKit') {
    const item = KitItem.safeParse(second);
    return item.success ? KIT_CSV_COLUMNS[item.data] : null;
  }
  return typeof first === 'string' ? (FIELD_COLUMNS[first] ?? null) : null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_big') {
    return issue.origin === 'string' ? `is too long: at most ${issue.maximum} characters` : `must be at most ${issue.maximum}`;
  }
  if (issue.code === 'too_small') {
    return issue.origin === 'string' ? `is too short: at least ${issue.minimum} characters` : `must be at least ${issue.minimum}`;
  }
  return issue.message;
}

const quote = (v: string): string => `"${v}"`;

/** A whole number ≥ 0 written in digits, or a reason why the value is not one. */
function wholeNumber(value: string): number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^-\s*\d+([.,]\d+)?$/.test(value)) return `must not be negative, got ${quote(value)}`;
  return `must be a whole number, got ${quote(value)}`;
}

/** Parses and validates a school list; see the module comment for the format. */
export function parseSchoolsCsv(text: string, options: ParseSchoolsOptions): ParseSchoolsResult {
  const errors: CsvImportError[] = [];
  const separator = detectSeparator(text);
  const { records, errors: syntax } = readCsv(text, separator);
  const header = records[0];
  if (!header || header.fields.every((f) => f.value.trim() === '')) {
    return { ok: false, errors: [{ line: 1, column: null, reason: 'the file is empty; the first line must be the header' }] };
  }

  // ---- header ----
  const headerFields = header.fields.slice();
  while (headerFields.length > 0 && headerFields[headerFields.length - 1]?.value.trim() === '') headerFields.pop();
  const known: ReadonlySet<string> = new Set(SCHOOL_CSV_COLUMNS);
  const columnIndex = new Map<SchoolCsvColumn, number>();
  headerFields.forEach((f, index) => {
    const name = f.value.trim().toLowerCase();
    if (name === '') {
      errors.push({ line: header.line, column: null, reason: `column ${index + 1} has no name` });
    } else if (!known.has(name)) {
      errors.push({
        line: header.line,
        column: f.value.trim(),
        reason: `unknown column ${quote(f.value.trim())}; the columns are: ${SCHOOL_CSV_COLUMNS.join(', ')}`,
      });
    } else if (columnIndex.has(name as SchoolCsvColumn)) {
      errors.push({ line: header.line, column: name, reason: `column ${quote(name)} appears more than once` });
    } else {
      columnIndex.set(name as SchoolCsvColumn, index);
    }
  });
  for (const column of SCHOOL_CSV_COLUMNS) {
    if (!columnIndex.has(column)) errors.push({ line: header.line, column, reason: `missing column ${quote(column)}` });
  }

  // ---- rows ----
  const unreadable = new Set<number>();
  for (const e of syntax) {
    const col = e.field < headerFields.length ? (headerFields[e.field]?.value.trim() ?? null) : null;
    errors.push({ line: e.line, column: col === '' ? null : col, reason: e.reason });
    unreadable.add(e.line);
  }
  const resolveDistrict = createDistrictResolver(options.districts);
  const existing = new Set(options.existingIds ?? []);
  const firstLineOfId = new Map<string, number>();
  const schools: School[] = [];
  const lines: number[] = [];

  for (const record of records.slice(1)) {
    if (record.fields.every((f) => f.value.trim() === '' && !f.quoted)) continue; // a blank row
    if (unreadable.has(record.line)) continue; // reported already
    const line = record.line;
    const extra = record.fields.slice(headerFields.length).some((f) => f.value !== '' || f.quoted);
    if (record.fields.length < headerFields.length || extra) {
      errors.push({
        line,
        column: null,
        reason: `the row has ${record.fields.length} values but the header has ${headerFields.length} columns`,
      });
      continue;
    }

    const rowErrors: CsvImportError[] = [];
    const failed = new Set<string>();
    const fail = (column: SchoolCsvColumn, reason: string): undefined => {
      rowErrors.push({ line, column, reason });
      failed.add(column);
      return undefined;
    };
    /** The cell of a column, `undefined` when the column is missing (reported once, on line 1). */
    const cell = (column: SchoolCsvColumn): CsvField | undefined => {
      const index = columnIndex.get(column);
      return index === undefined ? undefined : record.fields[index];
    };
    /** A required value: trimmed text, or undefined after reporting it empty. */
    const required = (column: SchoolCsvColumn): string | undefined => {
      const f = cell(column);
      if (!f) return undefined;
      if (f.value.trim() === '') return fail(column, 'is empty; a value is required');
      return f.value;
    };
    const number = (column: SchoolCsvColumn, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      const n = wholeNumber(value.trim());
      return typeof n === 'string' ? fail(column, n) : n;
    };
    const optionalNumber = (column: SchoolCsvColumn): number | undefined => {
      const f = cell(column);
      return f && f.value.trim() !== '' ? number(column, f.value) : undefined;
    };

    const id = required('id')?.trim();
    if (id !== undefined) {
      const earlier = firstLineOfId.get(id);
      if (options.updates === true && !existing.has(id))
        fail('id', `no school ${quote(id)} to update; new schools go to the import of new schools`);
      else if (options.updates !== true && existing.has(id)) fail('id', `id ${quote(id)} already exists`);
      else if (earlier !== undefined) fail('id', `duplicate id ${quote(id)}: already used on line ${earlier}`);
      else firstLineOfId.set(id, line);
    }
    const name = required('name');
    const districtValue = required('district');
    let district: string | undefined;
    if (districtValue !== undefined) {
      district = resolveDistrict(districtValue)?.id;
      if (district === undefined) {
        fail('district', `unknown district ${quote(districtValue.trim())}; give a district id or its Russian or English name`);
      }
    }
    const locality = required('locality');
    const urbanValue = required('urban');
    let urban: boolean | undefined;
    if (urbanValue !== undefined) {
      urban = URBAN_WORDS.get(urbanValue.trim().toLowerCase());
      if (urban === undefined) {
        fail('urban', `expected true/false, 1/0, да/нет or город/село, got ${quote(urbanValue.trim())}`);
      }
    }
    const cohortYear = number('cohort_year', required('cohort_year'));
    if (cohortYear !== undefined && (cohortYear < 2021 || cohortYear > 2024)) {
      fail('cohort_year', `the cohort year must be 2021, 2022, 2023 or 2024, got ${cohortYear}`);
    }
    const teachersToTrain = number('teachers_to_train', required('teachers_to_train'));
    const students = optionalNumber('students');
    const plannedKit: Kit = {};
    for (const item of KitItem.options) {
      const quantity = optionalNumber(KIT_CSV_COLUMNS[item]);
      if (quantity !== undefined) plannedKit[item] = quantity;
    }

    const candidate: Record<string, unknown> = {
      id,
      name,
      district,
      locality,
      urban,
      cohortYear,
      plannedKit,
      teachersToTrain,
    };
    if (students !== undefined) candidate.students = students;
    const parsed = School.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const column = columnOfIssue(issue);
        // A value that was missing, empty or unreadable is reported once already.
        if (column === null) {
          if (failed.size === 0) rowErrors.push({ line, column, reason: issue.message });
          continue;
        }
        if (failed.has(column) || !columnIndex.has(column as SchoolCsvColumn)) continue;
        rowErrors.push({ line, column, reason: describeIssue(issue) });
        failed.add(column);
      }
    }
    if (rowErrors.length > 0) errors.push(...rowErrors);
    else if (parsed.success) {
      schools.push(parsed.data);
      lines.push(line);
    }
  }

  if (errors.length > 0) {
    const order = new Map<string | null, number>(SCHOOL_CSV_COLUMNS.map((c, i) => [c, i]));
    errors.sort((a, b) => a.line - b.line || (order.get(a.column) ?? -1) - (order.get(b.column) ?? -1));
    return { ok: false, errors };
  }
  return { ok: true, schools, lines };
}

export interface SchoolsToCsvOptions {
  /** Default ",". */
  separator?: CsvSeparator;
  /** Start with a UTF-8 byte-order mark (for Excel). Default false. */
  bom?: boolean;
}

/** The school list as CSV in the import format (districts by id); `parseSchoolsCsv` reads it back as it was. */
export function schoolsToCsv(schools: readonly School[], options: SchoolsToCsvOptions = {}): string {
  const rows: string[][] = [SCHOOL_CSV_COLUMNS.slice()];
  for (const s of schools) {
    const values: Record<SchoolCsvColumn, string> = {
      id: s.id,
      name: s.name,
      district: s.district,
      locality: s.locality,
      urban: s.urban ? 'true' : 'false',
      cohort_year: String(s.cohortYear),
      teachers_to_train: String(s.teachersToTrain),
      students: s.students === undefined ? '' : String(s.students),
      kit_teacher_laptop: '',
      kit_student_laptop: '',
      kit_mfp: '',
      kit_interactive_panel: '',
      kit_network_equipment: '',
    };
    for (const item of KitItem.options) {
      const quantity = s.plannedKit[item];
      if (quantity !== undefined) values[KIT_CSV_COLUMNS[item]] = String(quantity);
    }
    rows.push(SCHOOL_CSV_COLUMNS.map((c) => values[c]));
  }
  return writeCsv(rows, options);
}
