/**
 * Moving schools to a published programme version: choose which schools move (all, a district, a list
 * of ids), see per school what the move changes (milestones added or removed, deadlines moved, evidence
 * rules changed, open work it invalidates) before anything is written, then run the migration as a job
 * and follow its progress and every school's outcome. Shown on a published version after the first.
 */
import { useEffect, useState } from 'preact/hooks';
import type { MigrationPreview, MigrationScope } from '../../../../shared/api/program-versions.js';
import type { Job } from '../../../../shared/api/schemas.js';
import { api } from '../api.js';
import { href } from '../router.js';
import { useI18n, type I18n } from '../i18n.js';
import { milestoneTitle, sortedDistricts } from '../program.js';
import { ColumnHeads, ConfirmPanel, errorText, InputField, SelectField } from '../ui.js';

type ScopeKind = MigrationScope['scope']['kind'];
const SCOPE_KINDS: readonly ScopeKind[] = ['district', 'schools', 'all'];
/** How often a running job is asked for its progress. */
const POLL_MS = 700;

/** The scope the form describes, or the reason it describes none. */
function scopeOf(kind: ScopeKind, district: string, ids: string): { ok: true; scope: MigrationScope } | { ok: false; field: string } {
  if (kind === 'all') return { ok: true, scope: { scope: { kind } } };
  if (kind === 'district') return district ? { ok: true, scope: { scope: { kind, district } } } : { ok: false, field: 'district' };
  const schoolIds = [...new Set(ids.split(/[\s,;]+/).filter(Boolean))];
  return schoolIds.length > 0 ? { ok: true, scope: { scope: { kind, schoolIds } } } : { ok: false, field: 'ids' };
}

export function MigrationPanel({ programId, version }: { programId: string; version: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [kind, setKind] = useState<ScopeKind>('district');
  const [district, setDistrict] = useState('');
  const [ids, setIds] = useState('');
  const [preview, setPreview] = useState<{ scope: MigrationScope; result: MigrationPreview } | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState<string | null>(null);

  // A running job is followed until it ends.
  useEffect(() => {
    if (!job || job.status === 'done' || job.status === 'failed') return;
    const timer = setTimeout(() => {
      api.job(job.id).then(setJob, (e: unknown) => setError(errorText(e, i18n)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job]);

  async function runPreview(e: Event) {
    e.preventDefault();
    const scope = scopeOf(kind, district, ids);
    setMissing(scope.ok ? null : scope.field);
    if (!scope.ok) return;
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      setPreview({ scope: scope.scope, result: await api.migrationPreview(programId, version, scope.scope) });
    } catch (err) {
      setPreview(null);
      setError(errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  async function migrate() {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      setJob(await api.migrate(programId, version, preview.scope));
      setConfirming(false);
    } catch (err) {
      setConfirming(false);
      setError(errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  const reset = () => {
    setPreview(null);
    setJob(null);
  };

  return (
    <section class="card migration" aria-labelledby="migration-h" data-testid="migration">
      <h2 id="migration-h">{t('migration.title', { n: version })}</h2>
      <p class="muted">{t('migration.intro')}</p>
      {error && (
        <p class="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <form class="migration-scope" onSubmit={runPreview} noValidate>
        <div class="field-row">
          <SelectField
            id="migration-kind"
            label={t('migration.scope')}
            value={kind}
            onValue={(v) => {
              setKind(v as ScopeKind);
              reset();
            }}
            options={SCOPE_KINDS.map((k) => ({ value: k, label: t(`migration.scope.${k}`) }))}
          />
          {kind === 'district' && (
            <SelectField
              id="migration-district"
              label={t('migration.district')}
              value={district}
              error={missing === 'district' ? t('migration.chooseDistrict') : undefined}
              onValue={(v) => {
                setDistrict(v);
                reset();
              }}
              options={[
                { value: '', label: t('migration.chooseDistrict') },
                ...sortedDistricts(i18n.lang).map((d) => ({ value: d.id, label: i18n.lang === 'ru' ? d.nameRu : d.nameEn })),
              ]}
            />
          )}
          {kind === 'schools' && (
            <InputField
              id="migration-ids"
              label={t('migration.ids')}
              hint={t('migration.idsHint')}
              value={ids}
              error={missing === 'ids' ? t('migration.idsMissing') : undefined}
              onValue={(v) => {
                setIds(v);
                reset();
              }}
            />
          )}
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-secondary" disabled={busy} aria-busy={busy && !preview}>
            {t('migration.preview')}
          </button>
        </div>
      </form>
      {preview && <PreviewTable preview={preview.result} i18n={i18n} />}
      {preview && preview.result.schools.length > 0 && !job && (
        <div class="form-actions">
          <button type="button" class="btn btn-primary" disabled={busy} onClick={() => setConfirming(true)}>
            {t('migration.run', { n: preview.result.schools.length })}
          </button>
        </div>
      )}
      {confirming && preview && (
        <ConfirmPanel
          id="confirm-migration"
          question={t('migration.confirm', { n: preview.result.schools.length, version })}
          yes={t('migration.confirmYes')}
          busy={busy}
          onYes={() => void migrate()}
          onCancel={() => setConfirming(false)}
        />
      )}
      {job && <JobProgress job={job} i18n={i18n} />}
    </section>
  );
}

function PreviewTable({ preview, i18n }: { preview: MigrationPreview; i18n: I18n }) {
  const { t, lang } = i18n;
  const title = (key: string) => milestoneTitle(key, lang);
  return (
    <div data-testid="migration-preview">
      <p role="status">
        {t('migration.previewSummary', { n: preview.schools.length, unchanged: preview.unchanged.length, version: preview.version })}
      </p>
      {preview.schools.length > 0 && (
        <div class="table-wrap">
          <table class="data-table migration-table">
            <caption class="visually-hidden">{t('migration.previewCaption')}</caption>
            <ColumnHeads
              labels={[
                t('migration.school'),
                t('migration.added'),
                t('migration.removed'),
                t('migration.moved'),
                t('migration.evidence'),
                t('migration.invalidated'),
              ]}
            />
            <tbody>
              {preview.schools.map((s) => (
                <tr key={s.schoolId} data-school={s.schoolId}>
                  <th scope="row">
                    <a href={href(['school', s.schoolId])}>{s.schoolId}</a>{' '}
                    <span class="muted">{t('migration.fromTo', { from: s.from, to: s.to })}</span>
                  </th>
                  <td data-change="added">
                    {list(s.added.map((a) => t('migration.addedItem', { milestone: title(a.milestone), deadline: i18n.date(a.deadline) })))}
                  </td>
                  <td data-change="removed">{list(s.removed.map((r) => title(r.milestone)))}</td>
                  <td data-change="moved">
                    {list(
                      s.moved.map((m) =>
                        t('migration.movedItem', {
                          milestone: title(m.milestone),
                          from: i18n.date(m.deadline.from),
                          to: i18n.date(m.deadline.to),
                        }),
                      ),
                    )}
                  </td>
                  <td data-change="evidence">{list(s.evidence.map((e) => title(e.milestone)))}</td>
                  <td data-change="invalidated">
                    {list(s.invalidated.map((x) => t('migration.invalidatedItem', { milestone: title(x.milestone), reason: x.reason })))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function list(items: readonly string[]) {
  return items.length === 0 ? <span class="muted">—</span> : items.map((x, i) => <div key={i}>{x}</div>);
}

function JobProgress({ job, i18n }: { job: Job; i18n: I18n }) {
  const { t } = i18n;
  const done = job.status === 'done' || job.status === 'failed';
  // The total is known once the job has selected its schools.
  const total = job.total ?? 0;
  return (
    <div class="migration-job" data-testid="migration-job" data-status={job.status}>
      <p role="status" aria-live="polite">
        {t(`migration.job.${job.status}`, { processed: job.processed, total, ok: job.succeeded, failed: job.failed })}
      </p>
      <progress max={Math.max(1, total)} value={job.processed} aria-label={t('migration.progress')} />
      {job.error && <p class="alert alert-error">{job.error}</p>}
      {done && job.results.length > 0 && (
        <div class="table-wrap">
          <table class="data-table migration-results">
            <caption class="visually-hidden">{t('migration.results')}</caption>
            <ColumnHeads labels={[t('migration.school'), t('migration.outcome'), t('migration.detail')]} />
            <tbody>
              {job.results.map((r) => (
                <tr key={r.schoolId} data-school={r.schoolId} data-outcome={r.outcome}>
                  <th scope="row">
                    <a href={href(['school', r.schoolId])}>{r.schoolId}</a>
                  </th>
                  <td>{t(`migration.outcome.${r.outcome}`)}</td>
                  <td>{r.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
