/**
 * CSV imports for program managers: new schools (checked whole, then created by a job whose outcome per
 * school is shown), updates of existing schools (a dry run shows every change and every deadline it
 * moves row by row; nothing is written until "apply"), and the contractor register (all or nothing).
 * A refused file lists every bad row: line, column and reason.
 */
import { useState } from 'preact/hooks';
import type { SchoolUpdatePreview } from '../../../../shared/api/administration.js';
import type { FieldError, Job, Me } from '../../../../shared/api/schemas.js';
import { ApiError } from '../api.js';
import { followJob, regionApi } from '../api-region.js';
import { useI18n, type I18n } from '../i18n.js';
import { milestoneTitle } from '../program.js';
import { ColumnHeads, errorText, PageTitle } from '../ui.js';

export function importsAllowed(me: Me): boolean {
  return me.role === 'program-manager';
}

type Kind = 'schools' | 'updates' | 'contractors';
const KINDS: readonly Kind[] = ['schools', 'updates', 'contractors'];

type Outcome =
  | { kind: 'errors'; errors: readonly FieldError[]; detail?: string }
  | { kind: 'preview'; preview: SchoolUpdatePreview }
  | { kind: 'job'; job: Job }
  | { kind: 'contractors'; ids: string[] }
  | { kind: 'failed'; message: string };

export function ImportsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const [kind, setKind] = useState<Kind>('schools');
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(step: () => Promise<Outcome>) {
    setBusy(true);
    try {
      setOutcome(await step());
    } catch (e) {
      setOutcome(
        e instanceof ApiError && e.fieldErrors.length > 0
          ? { kind: 'errors', errors: e.fieldErrors, ...(e.detail ? { detail: e.detail } : {}) }
          : { kind: 'failed', message: errorText(e, i18n) },
      );
    } finally {
      setBusy(false);
    }
  }

  const send = (dryRun: boolean) =>
    run(async (): Promise<Outcome> => {
      const text = file!.text;
      if (kind === 'updates') return { kind: 'preview', preview: await regionApi.updateSchools(text, dryRun) };
      if (kind === 'contractors') return { kind: 'contractors', ids: (await regionApi.importContractors(text)).contractorIds };
      const job = await regionApi.importSchools(text);
      setOutcome({ kind: 'job', job });
      return { kind: 'job', job: await followJob(job.id, (j) => setOutcome({ kind: 'job', job: j })) };
    });

  return (
    <>
      <PageTitle title={t('imports.title')}>{t('imports.title')}</PageTitle>
      <p class="lead">{t('imports.intro')}</p>
      <form
        class="card import-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void send(true);
        }}
      >
        <fieldset>
          <legend>{t('imports.what')}</legend>
          {KINDS.map((k) => (
            <label key={k} class="radio">
              <input
                type="radio"
                name="import-kind"
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setOutcome(null);
                }}
              />{' '}
              {t(`imports.kind.${k}`)}
            </label>
          ))}
        </fieldset>
        <p class="hint">{t(`imports.hint.${kind}`)}</p>
        <div class="field">
          <label for="import-file">{t('imports.file')}</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            onChange={async (e) => {
              const f = e.currentTarget.files?.[0];
              setOutcome(null);
              setFile(f ? { name: f.name, text: await f.text() } : null);
            }}
          />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={!file || busy} aria-busy={busy}>
            {t(kind === 'updates' ? 'imports.check' : 'imports.send')}
          </button>
        </div>
      </form>
      <section aria-live="polite" class="import-outcome" data-testid="import-outcome">
        {outcome && <OutcomeView outcome={outcome} i18n={i18n} busy={busy} onApply={() => void send(false)} />}
      </section>
    </>
  );
}

function OutcomeView({ outcome, i18n, busy, onApply }: { outcome: Outcome; i18n: I18n; busy: boolean; onApply: () => void }) {
  const { t } = i18n;
  switch (outcome.kind) {
    case 'failed':
      return <p class="alert alert-error">{outcome.message}</p>;
    case 'errors':
      return (
        <div class="alert alert-error" data-testid="import-errors">
          <p>{t('imports.refused', { n: outcome.errors.length })}</p>
          <table class="data-table">
            <ColumnHeads labels={[t('imports.line'), t('imports.column'), t('imports.reason')]} numeric={[0]} />
            <tbody>
              {outcome.errors.map((e, i) => (
                <tr key={i} data-line={e.line}>
                  <td class="num">{e.line ?? ''}</td>
                  <td>{e.column ?? (e.line === undefined ? e.field : '')}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'contractors':
      return <p class="alert alert-success">{t('imports.contractorsDone', { n: outcome.ids.length, ids: outcome.ids.join(', ') })}</p>;
    case 'job':
      return <JobView job={outcome.job} i18n={i18n} />;
    case 'preview':
      return <PreviewView preview={outcome.preview} i18n={i18n} busy={busy} onApply={onApply} />;
  }
}

/** A job's progress and every school's outcome (imports and bulk actions alike). */
export function JobView({ job, i18n }: { job: Job; i18n: I18n }) {
  const { t } = i18n;
  const finished = job.status === 'done' || job.status === 'failed';
  return (
    <div class="card job-view" data-testid="job" data-status={job.status}>
      <p>
        {t(`imports.job.${job.status}`)}{' '}
        {t('imports.job.counts', {
          processed: job.processed,
          total: job.total ?? '?',
          ok: job.succeeded,
          failed: job.failed,
          skipped: job.skipped,
        })}
      </p>
      {!finished && <progress max={job.total ?? undefined} value={job.processed} />}
      {job.error && <p class="field-error">{job.error}</p>}
      {job.results.length > 0 && (
        <table class="data-table">
          <ColumnHeads labels={[t('imports.school'), t('imports.outcome'), t('imports.reason')]} />
          <tbody>
            {job.results.map((r) => (
              <tr key={r.schoolId} data-school={r.schoolId} data-outcome={r.outcome}>
                <td>
                  <a href={`#/school/${encodeURIComponent(r.schoolId)}`}>{r.schoolId}</a>
                </td>
                <td>{t(`imports.outcome.${r.outcome}`)}</td>
                <td>{r.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function PreviewView({ preview, i18n, busy, onApply }: { preview: SchoolUpdatePreview; i18n: I18n; busy: boolean; onApply: () => void }) {
  const { t, lang } = i18n;
  const show = (v: unknown) => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return (
    <div class="card" data-testid="update-preview" data-dry-run={String(preview.dryRun)}>
      <p class={preview.dryRun ? '' : 'alert alert-success'}>
        {preview.dryRun ? t('imports.preview', { n: preview.rows.length }) : t('imports.applied', { n: preview.updated })}
      </p>
      {preview.rows.length > 0 && (
        <table class="data-table">
          <ColumnHeads labels={[t('imports.line'), t('imports.school'), t('imports.changes'), t('imports.replans')]} numeric={[0]} />
          <tbody>
            {preview.rows.map((r) => (
              <tr key={r.line} data-school={r.schoolId}>
                <td class="num">{r.line}</td>
                <td>{r.schoolId}</td>
                <td>
                  <ul class="plain">
                    {r.changes.map((c) => (
                      <li key={c.field}>
                        {c.field}: {show(c.from)} → {show(c.to)}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <ul class="plain">
                    {r.replans.map((p) => (
                      <li key={p.milestone}>
                        {milestoneTitle(p.milestone, lang)}: {i18n.date(p.deadlineBefore)} → {i18n.date(p.deadline)}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.dryRun && preview.rows.length > 0 && (
        <div class="form-actions">
          <button type="button" class="btn btn-primary" disabled={busy} aria-busy={busy} onClick={onApply}>
            {t('imports.apply', { n: preview.rows.length })}
          </button>
        </div>
      )}
    </div>
  );
}
