/**
 * Evidence documents in the dashboard: the uploads of a submission form (one picker per document the
 * milestone's evidence rules name), the documents of a school with their hashes, a link that asks the
 * API for a short-lived URL and opens it, and the school's dossier. What a user may see is the API's
 * decision: the page shows what it returns and says so when it answers 403.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DocumentView } from '../../../shared/api/documents.js';
import type { Me } from '../../../shared/api/schemas.js';
import type { DocumentRule, School } from '../../../shared/program/model.js';
import { ApiError } from './api.js';
import { checkFile, documentsApi } from './documents-api.js';
import { useI18n, type I18n, type Lang } from './i18n.js';
import { milestoneDefinition, milestoneTitle } from './program.js';
import { errorText, Loading, useAsync } from './ui.js';

export function documentRules(milestone: string): readonly DocumentRule[] {
  return milestoneDefinition(milestone)?.documents ?? [];
}

export function documentTitle(milestone: string, type: string, lang: Lang): string {
  return documentRules(milestone).find((r) => r.type === type)?.title[lang] ?? type;
}

/** The required document types with no document attached. */
export function missingDocuments(milestone: string, attached: readonly Pick<DocumentView, 'type'>[]): DocumentRule[] {
  const types = new Set(attached.map((d) => d.type));
  return documentRules(milestone).filter((r) => r.required && !types.has(r.type));
}

/** Told by the uploads of a form, so that the school's document list on the same page follows. */
const DOCUMENTS_CHANGED = 'cos:documents-changed';
const announceChange = (schoolId: string) => window.dispatchEvent(new CustomEvent(DOCUMENTS_CHANGED, { detail: schoolId }));

const kb = (size: number, i18n: I18n) => i18n.t('docs.sizeKb', { n: i18n.number(Math.max(1, Math.round(size / 1024))) });

function uploader(d: DocumentView, i18n: I18n): string {
  const who = d.uploadedBy.name ?? d.uploadedBy.sub;
  return [who, i18n.role(d.uploadedBy.role), d.uploadedBy.org ?? ''].filter(Boolean).join(' · ');
}

/** The hash in short form; the whole of it in the title and in `data-sha256`. */
function Hash({ sha256 }: { sha256: string }) {
  return (
    <code class="hash" title={sha256} data-sha256={sha256}>
      {sha256.slice(0, 12)}…
    </code>
  );
}

/**
 * Asks the API for a short-lived link and opens it in a new tab. The tab is opened on the click itself
 * (a browser lets a page open one only then) and sent to the link when it arrives; where the browser
 * refused the tab, the link is shown instead.
 */
export function OpenDocument({ schoolId, document: d }: { schoolId: string; document: DocumentView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  async function open() {
    setError(null);
    const tab = window.open('', '_blank');
    try {
      const { url } = await documentsApi.link(schoolId, d.id);
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else setLink(url);
    } catch (e) {
      tab?.close();
      setError(errorText(e, i18n));
    }
  }
  return (
    <>
      <button type="button" class="btn btn-secondary btn-small" aria-label={t('docs.openLabel', { name: d.fileName })} onClick={open}>
        {t('docs.open')}
      </button>
      {link && (
        <a href={link} target="_blank" rel="noopener noreferrer">
          {t('docs.linkReady', { name: d.fileName })}
        </a>
      )}
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** A table of documents: kind, milestone, file, uploader, time, hash, and the link to open each. */
export function DocumentTable({
  schoolId,
  documents,
  showMilestone,
}: {
  schoolId: string;
  documents: DocumentView[];
  showMilestone: boolean;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div class="table-wrap">
      <table class="data-table documents-table">
        <thead>
          <tr>
            <th scope="col">{t('docs.kind')}</th>
            {showMilestone && <th scope="col">{t('schools.milestone')}</th>}
            <th scope="col">{t('docs.file')}</th>
            <th scope="col">{t('docs.uploader')}</th>
            <th scope="col">{t('docs.uploadedAt')}</th>
            <th scope="col">{t('docs.hash')}</th>
            <th scope="col">
              <span class="visually-hidden">{t('docs.open')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {documents.map((d) => (
            <tr key={d.id} data-document={d.id} data-type={d.type}>
              <td>{documentTitle(d.milestone, d.type, i18n.lang)}</td>
              {showMilestone && <td>{milestoneTitle(d.milestone, i18n.lang)}</td>}
              <td>
                {d.fileName} <span class="muted nowrap">({kb(d.size, i18n)})</span>
              </td>
              <td>{uploader(d, i18n)}</td>
              <td class="nowrap">{i18n.dateTime(d.uploadedAt)}</td>
              <td>
                <Hash sha256={d.sha256} />
              </td>
              <td class="nowrap">
                <OpenDocument schoolId={schoolId} document={d} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The message for a file the page or the API refused. */
function refusal(e: unknown, name: string, i18n: I18n): string {
  const { t } = i18n;
  if (e instanceof ApiError) {
    if (e.code === 'wrong-type' || e.code === 'too-large') return t(`docs.error.${e.code}`, { name });
    if (e.code === 'empty') return t('docs.error.empty', { name });
    if (e.fieldErrors.some((f) => f.field === 'body.size')) return t('docs.error.too-large', { name });
    if (e.status === 422 || e.status === 400) {
      const reason = e.fieldErrors.map((f) => f.reason).join('; ') || e.detail || e.title;
      return t('docs.error.other', { name, reason });
    }
  }
  return errorText(e, i18n);
}

/**
 * The documents of a submission: one picker per document the milestone's evidence rules name, the
 * documents attached so far (with a remove button while the submission is open), and which required
 * ones are still missing (`onMissing`: the form keeps its submit button disabled until none is).
 */
export function DocumentUploads(props: {
  schoolId: string;
  milestone: string;
  idPrefix: string;
  /** The form's field errors: the API's `documents.<type>` is shown at that document's picker. */
  errors: Record<string, string>;
  onMissing: (missing: DocumentRule[]) => void;
}) {
  const { schoolId, milestone, idPrefix, errors, onMissing } = props;
  const i18n = useI18n();
  const { t } = i18n;
  const attached = useAsync(() => documentsApi.list(schoolId), [schoolId]);
  const [busy, setBusy] = useState<{ type: string; name: string } | null>(null);
  const [fileErrors, setFileErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const rules = documentRules(milestone);
  const mine = (attached.data?.items ?? []).filter((d) => d.milestone === milestone);
  const missing = attached.data ? missingDocuments(milestone, mine) : rules.filter((r) => r.required);
  const missingKey = missing.map((r) => r.type).join(',');
  useEffect(() => onMissing(missing), [missingKey]);

  async function pick(rule: DocumentRule, input: HTMLInputElement) {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setNotice(null);
    setFileErrors((old) => ({ ...old, [rule.type]: '' }));
    const checked = checkFile(file);
    if (!checked.ok) {
      const size = i18n.number(Math.round((file.size / 1024 / 1024) * 10) / 10);
      setFileErrors((old) => ({ ...old, [rule.type]: t(`docs.error.${checked.reason}`, { name: file.name, size }) }));
      return;
    }
    setBusy({ type: rule.type, name: file.name });
    try {
      const d = await documentsApi.upload(schoolId, milestone, rule.type, file, checked.contentType);
      setNotice(t('docs.attached', { name: d.fileName }));
      attached.reload();
      announceChange(schoolId);
    } catch (e) {
      setFileErrors((old) => ({ ...old, [rule.type]: refusal(e, file.name, i18n) }));
    } finally {
      setBusy(null);
    }
  }

  async function remove(rule: DocumentRule, d: DocumentView) {
    setNotice(null);
    setFileErrors((old) => ({ ...old, [rule.type]: '' }));
    try {
      await documentsApi.remove(schoolId, d.id);
      setNotice(t('docs.removed', { name: d.fileName }));
      attached.reload();
      announceChange(schoolId);
    } catch (e) {
      setFileErrors((old) => ({ ...old, [rule.type]: errorText(e, i18n) }));
    }
  }

  if (rules.length === 0) return null;
  return (
    <fieldset class="documents" data-testid="document-uploads">
      <legend>{t('docs.evidence')}</legend>
      <p class="hint">{t('docs.evidenceHint')}</p>
      <p class="status-line" role="status" aria-live="polite">
        {busy ? t('docs.uploading', { name: busy.name }) : (notice ?? '')}
      </p>
      {attached.error !== undefined && <p class="field-error">{errorText(attached.error, i18n)}</p>}
      {attached.data === undefined && attached.error === undefined && <Loading />}
      {rules.map((rule) => {
        const id = `${idPrefix}-doc-${rule.type}`;
        const docs = mine.filter((d) => d.type === rule.type);
        const error = fileErrors[rule.type] || errors[`documents.${rule.type}`];
        return (
          <div key={rule.type} class="doc-rule" data-doc-type={rule.type} data-attached={docs.length}>
            <p class="doc-rule-head">
              <strong>{rule.title[i18n.lang]}</strong> <span class="muted">({t(rule.required ? 'docs.required' : 'docs.optional')})</span>
              {docs.length === 0 && rule.required && <span class="badge badge-missing"> {t('docs.missing')}</span>}
            </p>
            {docs.length > 0 && (
              <ul class="doc-list">
                {docs.map((d) => (
                  <li key={d.id} data-document={d.id}>
                    <span class="doc-name">{d.fileName}</span>{' '}
                    <span class="muted">
                      {documentTitle(milestone, d.type, i18n.lang)} · {kb(d.size, i18n)} · SHA-256 <Hash sha256={d.sha256} />
                    </span>{' '}
                    <button
                      type="button"
                      class="btn btn-secondary btn-small"
                      aria-label={t('docs.removeLabel', { name: d.fileName })}
                      onClick={() => void remove(rule, d)}
                    >
                      {t('docs.remove')}
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <label for={id}>{t('docs.pick', { title: rule.title[i18n.lang] })}</label>
            <input
              type="file"
              id={id}
              accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
              disabled={busy !== null}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              onChange={(e) => void pick(rule, e.currentTarget)}
            />
            {busy?.type === rule.type && <span class="muted"> {t('loading')}</span>}
            {error && (
              <p class="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
        );
      })}
      {missing.length > 0 && attached.data && (
        <p class="hint doc-missing" data-testid="documents-missing">
          {t('docs.missingList', { list: missing.map((r) => r.title[i18n.lang]).join(', ') })}
        </p>
      )}
    </fieldset>
  );
}

/** The school's documents (hidden for viewers: the API gives them none) and, for whom it is, the dossier. */
export function SchoolDocuments({ me, school }: { me: Me; school: School }) {
  const i18n = useI18n();
  const { t } = i18n;
  const documents = useAsync(() => documentsApi.list(school.id), [school.id]);
  useEffect(() => {
    const follow = (e: Event) => {
      if ((e as CustomEvent<string>).detail === school.id) documents.reload();
    };
    window.addEventListener(DOCUMENTS_CHANGED, follow);
    return () => window.removeEventListener(DOCUMENTS_CHANGED, follow);
  }, [school.id, documents.reload]);
  const dossierAllowed = me.role === 'program-manager' || (me.role === 'district-coordinator' && me.district === school.district);
  return (
    <section aria-labelledby="documents-h" class="documents-section" data-testid="school-documents">
      <h2 id="documents-h">{t('docs.title')}</h2>
      <p class="hint">{t(me.role === 'contractor' ? 'docs.introContractor' : 'docs.intro')}</p>
      {dossierAllowed && <DossierButton schoolId={school.id} />}
      {documents.error instanceof ApiError && documents.error.status === 403 ? (
        <p class="muted">{t('docs.forbidden')}</p>
      ) : documents.error !== undefined ? (
        <p class="field-error">{errorText(documents.error, i18n)}</p>
      ) : documents.data === undefined ? (
        <Loading />
      ) : documents.data.items.length === 0 ? (
        <p class="empty">{t('docs.empty')}</p>
      ) : (
        <DocumentTable schoolId={school.id} documents={documents.data.items} showMilestone />
      )}
    </section>
  );
}

function DossierButton({ schoolId }: { schoolId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [state, setState] = useState<{ busy: boolean; url?: string; error?: string }>({ busy: false });
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (state.url) link.current?.click();
  }, [state.url]);
  async function build() {
    setState({ busy: true });
    try {
      const { url } = await documentsApi.dossier(schoolId);
      setState({ busy: false, url });
    } catch (e) {
      setState({ busy: false, error: errorText(e, i18n) });
    }
  }
  return (
    <div class="dossier">
      <button type="button" class="btn btn-secondary" onClick={build} disabled={state.busy} aria-busy={state.busy}>
        {state.busy ? t('docs.dossierBusy') : t('docs.dossier')}
      </button>{' '}
      {state.url && (
        <a ref={link} href={state.url} download data-testid="dossier-link">
          {t('docs.dossierReady')}
        </a>
      )}
      {state.error && (
        <p class="field-error" role="alert">
          {state.error}
        </p>
      )}
    </div>
  );
}
