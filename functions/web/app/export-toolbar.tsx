/** The CSV and XLSX buttons over a table, with the error of a failed XLSX export. */
import { useState } from 'preact/hooks';
import { download, toCsv, toXlsx, type ReportTable, type XlsxOptions } from './export.js';
import { useI18n } from './i18n.js';
import { ErrorBox } from './ui.js';

export function ExportToolbar({
  table,
  fileName,
  sheet,
  xlsx,
}: {
  table: () => ReportTable;
  fileName: string;
  sheet: string;
  xlsx?: XlsxOptions;
}) {
  const { t } = useI18n();
  const [exportError, setExportError] = useState<unknown>(undefined);
  const exportCsv = () => download(new Blob([toCsv(table())], { type: 'text/csv;charset=utf-8' }), `${fileName}.csv`);
  const exportXlsx = async () => {
    try {
      setExportError(undefined);
      download(await toXlsx(table(), sheet, xlsx), `${fileName}.xlsx`);
    } catch (e) {
      setExportError(e);
    }
  };
  return (
    <>
      <div class="toolbar">
        <button type="button" class="btn btn-secondary" onClick={exportCsv}>
          {t('report.csv')}
        </button>
        <button type="button" class="btn btn-secondary" onClick={exportXlsx}>
          {t('report.xlsx')}
        </button>
      </div>
      {exportError !== undefined && <ErrorBox error={exportError} />}
    </>
  );
}
