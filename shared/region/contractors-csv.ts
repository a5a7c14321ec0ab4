/**
 * Import of the contractor register as CSV, all or nothing like the schools import.
 *
 * File format: UTF-8 (a byte-order mark is fine), "," or ";" separated, header first with every column
 * below once, in any order. One row per contract; the rows of one contractor repeat its own columns
 * (the first row's values count, later rows must agree). A contractor without a contract is one row with
 * the contract columns empty. Lists are separated by spaces or "|".
 *
 * | column               | value                                                                 |
 * |----------------------|-----------------------------------------------------------------------|
 * | `id`                 | contractor id (`isp-omsk-1`)                                           |
 * | `name`               | organisation name                                                      |
 * | `kind`               | internet-provider, equipment-supplier, training-provider, platform-operator |
 * | `districts`          | district ids or names it serves; empty: the whole region              |
 * | `emails`             | contact e-mails                                                        |
 * | `contract_number`    | the contract's number; empty: no contract on this row                 |
 * | `contract_date`      | YYYY-MM-DD                                                             |
 * | `contract_milestone` | the milestone the contract is for (`connection`)                       |
 * | `contract_districts` | districts it covers                                                    |
 * | `contract_schools`   | school ids it covers (both empty: the whole region)                    |
 * | `contract_end`       | YYYY-MM-DD                                                             |
 */
import { Contract, Contractor, type District } from '../program/model.js';
import type { CsvImportError } from './csv-import.js';
import { detectSeparator, readCsv } from './csv.js';
import { createDistrictResolver } from './districts.js';

export const CONTRACTOR_CSV_COLUMNS = [
  'id',
  'name',
  'kind',
  'districts',
  'emails',
  'contract_number',
  'contract_date',
  'contract_milestone',
  'contract_districts',
  'contract_schools',
  'contract_end',
] as const;
type Column = (typeof CONTRACTOR_CSV_COLUMNS)[number];

export type ParseContractorsResult = { ok: true; contractors: Contractor[] } | { ok: false; errors: CsvImportError[] };

const list = (value: string): string[] => value.split(/[\s|]+/).filter(Boolean);

export interface ParseContractorsOptions {
  districts: readonly District[];
  /** Contractors registered already: a row with one of their ids is refused. */
  existingIds: Iterable<string>;
  /** The register's own rules (e.g. contracts for milestones of the contractor's kind), reported on the contractor's first line. */
  check?: (contractor: Contractor) => readonly { field: string; message: string }[];
  /** At most this many contractors a file. */
  max?: number;
}

export function parseContractorsCsv(text: string, options: ParseContractorsOptions): ParseContractorsResult {
  const { records, errors: syntax } = readCsv(text, detectSeparator(text));
  const errors: CsvImportError[] = syntax.map((e) => ({ line: e.line, column: null, reason: e.reason }));
  const header = records[0];
  if (!header) return { ok: false, errors: [{ line: 1, column: null, reason: 'the file is empty; the first line must be the header' }] };
  const index = new Map<string, number>();
  header.fields.forEach((f, i) => {
    const name = f.value.trim().toLowerCase();
    if (!(CONTRACTOR_CSV_COLUMNS as readonly string[]).includes(name))
      errors.push({
        line: 1,
        column: f.value.trim(),
        reason: `unknown column "${f.value.trim()}"; the columns are: ${CONTRACTOR_CSV_COLUMNS.join(', ')}`,
      });
    else if (index.has(name)) errors.push({ line: 1, column: name, reason: `column "${name}" appears more than once` });
    else index.set(name, i);
  });
  for (const c of CONTRACTOR_CSV_COLUMNS) if (!index.has(c)) errors.push({ line: 1, column: c, reason: `missing column "${c}"` });
  if (errors.length > 0) return { ok: false, errors };

  const resolve = createDistrictResolver(options.districts);
  const existing = new Set(options.existingIds);
  const byId = new Map<string, { line: number; fields: Record<string, unknown>; contracts: Contract[] }>();
  for (const record of records.slice(1)) {
    if (record.fields.every((f) => f.value.trim() === '')) continue;
    const line = record.line;
    const cell = (c: Column) => (record.fields[index.get(c)!]?.value ?? '').trim();
    const districts = (c: Column) =>
      list(cell(c)).map((d) => {
        const found = resolve(d)?.id;
        if (!found) errors.push({ line, column: c, reason: `unknown district "${d}"` });
        return found ?? d;
      });
    const id = cell('id');
    const own = {
      id,
      name: cell('name'),
      kind: cell('kind'),
      districts: districts('districts'),
      emails: list(cell('emails')),
      active: true,
      contracts: [],
    };
    const earlier = byId.get(id);
    if (existing.has(id)) errors.push({ line, column: 'id', reason: `contractor "${id}" already exists` });
    else if (earlier && JSON.stringify({ ...earlier.fields, contracts: [] }) !== JSON.stringify(own)) {
      errors.push({ line, column: null, reason: `the contractor columns differ from line ${earlier.line} of the same id` });
    }
    const entry = earlier ?? { line, fields: own, contracts: [] as Contract[] };
    byId.set(id, entry);
    if (cell('contract_number') !== '') {
      const contract = Contract.safeParse({
        number: cell('contract_number'),
        date: cell('contract_date'),
        milestone: cell('contract_milestone'),
        districts: districts('contract_districts'),
        schools: list(cell('contract_schools')),
        endDate: cell('contract_end'),
      });
      if (contract.success) entry.contracts.push(contract.data);
      else
        for (const issue of contract.error.issues)
          errors.push({ line, column: CONTRACT_COLUMN[String(issue.path[0])] ?? null, reason: issue.message });
    }
  }
  const contractors: Contractor[] = [];
  for (const { line, fields, contracts } of byId.values()) {
    const parsed = Contractor.safeParse({ ...fields, contracts });
    if (parsed.success) {
      contractors.push(parsed.data);
      for (const issue of options.check?.(parsed.data) ?? [])
        errors.push({ line, column: null, reason: `${parsed.data.id}: ${issue.field}: ${issue.message}` });
    } else
      for (const issue of parsed.error.issues)
        if (issue.path[0] !== 'contracts') errors.push({ line, column: String(issue.path[0] ?? '') || null, reason: issue.message });
  }
  if (options.max !== undefined && contractors.length > options.max)
    errors.push({ line: 1, column: null, reason: `at most ${options.max} contractors a file, this one has ${contractors.length}` });
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  return { ok: true, contractors };
}

const CONTRACT_COLUMN: Readonly<Record<string, Column>> = {
  number: 'contract_number',
  date: 'contract_date',
  milestone: 'contract_milestone',
  districts: 'contract_districts',
  schools: 'contract_schools',
  endDate: 'contract_end',
};
