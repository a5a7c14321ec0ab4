/**
 * The progress report as a table, and that table as CSV (RFC 4180, UTF-8 with a byte-order mark so that
 * spreadsheet programs read the Cyrillic right) or XLSX (write-excel-file).
 */
import type { SheetData } from 'write-excel-file/browser';
import type { ProgressReport } from '../../../shared/api/schemas.js';
import type { I18n } from './i18n.js';
import { groupName } from './groups.js';
import { milestoneTitle } from './program.js';

export interface ReportTable {
  header: string[];
  /** Per row: the district's name, its number of schools, then per milestone `reached`, `waived` and `share` (0…1). */
  rows: (string | number | null)[][];
}

export function reportTable(report: ProgressReport, i18n: I18n): ReportTable {
  const { t, lang } = i18n;
  const header = [report.groupBy === 'district' ? t('overview.district') : t(`equal.${report.groupBy}`), t('overview.schools')];
  for (const k of report.milestones) {
    const title = milestoneTitle(k, lang);
    header.push(`${title}: ${t('report.reached')}`, `${title}: ${t('report.waived')}`, `${title}: ${t('report.share')}`);
  }
  const line = (name: string, row: ProgressReport['total']) => [
    name,
    row.schools,
    ...report.milestones.flatMap((k) => {
      const c = row.milestones[k] ?? { reached: 0, waived: 0, share: 0 };
      return [c.reached, c.waived, c.share];
    }),
  ];
  return {
    header,
    rows: [...report.rows.map((r) => line(groupName(r.group, report.groupBy, i18n), r)), line(t('overview.total'), report.total)],
  };
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? String(Math.round(v * 10_000) / 10_000) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(table: ReportTable): string {
  return `\uFEFF${[table.header, ...table.rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** The progress report's number formats: after the first two columns, each milestone has reached, waived (counts) and share (a fraction, shown as %). */
function reportFormat(col: number): string {
  return col >= 2 && (col - 2) % 3 === 2 ? '0.0%' : '0';
}

export interface XlsxOptions {
  /** The number format of a column (the progress report's by default). */
  formatOf?: (col: number) => string;
  /** Whether the last row is a total, in bold (the progress report's is). */
  totalRow?: boolean;
}

export async function toXlsx(
  table: ReportTable,
  sheet: string,
  { formatOf = reportFormat, totalRow = true }: XlsxOptions = {},
): Promise<Blob> {
  const data: SheetData = [
    table.header.map((h) => ({ value: h, fontWeight: 'bold' as const, wrap: true })),
    ...table.rows.map((r, i) =>
      r.map((v, col) => {
        if (v === null) return null;
        if (typeof v === 'string') return { value: v, fontWeight: totalRow && i === table.rows.length - 1 ? ('bold' as const) : undefined };
        return { value: v, type: Number, format: formatOf(col) };
      }),
    ),
  ];
  // The XLSX writer is loaded only when someone exports (esbuild puts it in a chunk of its own).
  const { default: writeXlsxFile } = await import('write-excel-file/browser');
  return writeXlsxFile(data, { sheet, columns: table.header.map((_, i) => ({ width: i === 0 ? 40 : 16 })), stickyRowsCount: 1 }).toBlob();
}

/** Saves a blob as a download with the given file name. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
