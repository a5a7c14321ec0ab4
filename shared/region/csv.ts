/**
 * A small RFC 4180 CSV reader and writer for the imports and exports of the program, with what Excel
 * does in practice: a UTF-8 byte-order mark, "," or ";" as the separator (Russian Excel uses ";"),
 * CRLF, LF or CR line ends, quoted values with doubled quotes and line breaks inside.
 *
 * Whitespace around an unquoted value is not part of it; a quoted value is kept exactly, so a value with
 * leading or trailing whitespace survives a write and a read.
 */

export type CsvSeparator = ',' | ';';

export interface CsvField {
  value: string;
  quoted: boolean;
}

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: CsvField[];
}

export interface CsvSyntaxError {
  /** 1-based line on which the record with the problem starts. */
  line: number;
  /** 0-based index of the field in its record. */
  field: number;
  reason: string;
}

export interface CsvReadResult {
  records: CsvRecord[];
  errors: CsvSyntaxError[];
}

const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}

/** The separator of a file, judged by its first line outside quotes: the more frequent of ";" and ",". */
export function detectSeparator(text: string): CsvSeparator {
  let semicolons = 0;
  let commas = 0;
  let quoted = false;
  for (const c of stripBom(text)) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ';') semicolons++;
    else if (!quoted && c === ',') commas++;
  }
  return semicolons > commas ? ';' : ',';
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/**
 * Reads every record. A malformed quoted value is reported at the line its record starts on, and the
 * reading goes on; an unclosed quote runs to the end of the text.
 */
export function readCsv(input: string, separator: CsvSeparator): CsvReadResult {
  const text = stripBom(input);
  const records: CsvRecord[] = [];
  const errors: CsvSyntaxError[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  /** Consumes one line end at i if there is one; returns whether it did. */
  const lineEnd = (): boolean => {
    if (text[i] === '\r') {
      i += text[i + 1] === '\n' ? 2 : 1;
    } else if (text[i] === '\n') {
      i += 1;
    } else {
      return false;
    }
    line++;
    return true;
  };

  while (i < n) {
    const record: CsvRecord = { line, fields: [] };
    records.push(record);
    for (;;) {
      const fieldIndex = record.fields.length;
      let j = i;
      while (isBlank(text[j])) j++;
      if (text[j] === '"') {
        i = j + 1;
        let value = '';
        let closed = false;
        while (i < n) {
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          value += c;
          i++;
        }
        if (!closed) {
          errors.push({ line: record.line, field: fieldIndex, reason: 'a quoted value is not closed (a " is missing)' });
          record.fields.push({ value, quoted: true });
          return { records, errors };
        }
        while (isBlank(text[i])) i++;
        if (i < n && text[i] !== separator && text[i] !== '\r' && text[i] !== '\n') {
          errors.push({
            line: record.line,
            field: fieldIndex,
            reason: `unexpected text after a closing quote; write a " inside a quoted value as ""`,
          });
          while (i < n && text[i] !== separator && text[i] !== '\r' && text[i] !== '\n') i++;
        }
        record.fields.push({ value, quoted: true });
      } else {
        let end = i;
        while (end < n && text[end] !== separator && text[end] !== '\r' && text[end] !== '\n') end++;
        record.fields.push({ value: text.slice(i, end).trim(), quoted: false });
        i = end;
      }
      if (i < n && text[i] === separator) {
        i++;
        continue;
      }
      lineEnd();
      break;
    }
  }
  return { records, errors };
}

/** One value as written to a file: quoted when it has to be. */
export function formatCsvField(value: string, separator: CsvSeparator): string {
  const needsQuotes =
    value.includes(separator) || value.includes('"') || value.includes('\n') || value.includes('\r') || value !== value.trim();
  return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface WriteCsvOptions {
  separator?: CsvSeparator;
  /** Start with a UTF-8 byte-order mark, so that Excel reads Cyrillic right. Default false. */
  bom?: boolean;
}

/** Rows to CSV text, CRLF line ends (RFC 4180), a line end after the last row too. */
export function writeCsv(rows: readonly (readonly string[])[], options: WriteCsvOptions = {}): string {
  const sep = options.separator ?? ',';
  const body = rows.map((row) => row.map((v) => formatCsvField(v, sep)).join(sep) + '\r\n').join('');
  return (options.bom ? BOM : '') + body;
}
