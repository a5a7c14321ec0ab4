/** Small building blocks shared by the pages: loading and error states, badges, labelled form fields. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { MilestoneStatus } from '../../../shared/program/model.js';
import { ApiError, NETWORK_ERROR } from './api.js';
import { useI18n, type I18n } from './i18n.js';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; a stale answer (deps changed meanwhile) is dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { ...state, reload };
}

export interface Paged<T> extends Async<T[]> {
  /** There is a next page. */
  more: boolean;
  loadMore: () => void;
  loadingMore: boolean;
  moreError: unknown;
}

/** A cursor-paginated list: the first page on load, the next ones appended on request. */
export function usePaged<T>(
  load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
  deps: readonly unknown[],
): Paged<T> {
  const first = useAsync(() => load(), deps);
  const [extra, setExtra] = useState<{ items: T[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  useEffect(() => setExtra(null), [first.data]);
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);
  const loadMore = () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(undefined);
    load(cursor)
      .then(
        (page) => setExtra((old) => ({ items: [...(old?.items ?? []), ...page.items], cursor: page.nextCursor })),
        (e: unknown) => setMoreError(e),
      )
      .finally(() => setLoadingMore(false));
  };
  return {
    data: first.data ? [...first.data.items, ...(extra?.items ?? [])] : undefined,
    error: first.error,
    loading: first.loading,
    reload: first.reload,
    more: cursor !== null,
    loadMore,
    loadingMore,
    moreError,
  };
}

/** The "show more" button of a paged list, and the error of its last attempt. */
export function MoreButton({ list }: { list: Paged<unknown> }) {
  const { t } = useI18n();
  return (
    <>
      {list.moreError !== undefined && <ErrorBox error={list.moreError} onRetry={list.loadMore} />}
      {list.more && (
        <button
          type="button"
          class="btn btn-secondary more"
          onClick={list.loadMore}
          disabled={list.loadingMore}
          aria-busy={list.loadingMore}
        >
          {t('school.loadMore')}
        </button>
      )}
    </>
  );
}

export function errorText(error: unknown, i18n: I18n): string {
  if (error instanceof ApiError) {
    if (error.status === NETWORK_ERROR) return i18n.t('error.network', { reason: error.detail ?? '' });
    if (error.status === 403) return i18n.t('error.forbidden');
    return i18n.t('error.http', { status: error.status, title: error.detail ? `${error.title} — ${error.detail}` : error.title });
  }
  return error instanceof Error ? error.message : String(error);
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="loading" role="status" aria-live="polite">
      {t('loading')}
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const i18n = useI18n();
  return (
    <div class="alert alert-error" role="alert">
      <p>{errorText(error, i18n)}</p>
      {onRetry && (
        <button type="button" class="btn btn-secondary" onClick={onRetry}>
          {i18n.t('retry')}
        </button>
      )}
    </div>
  );
}

/** Loading, error or content for one async value. */
export function AsyncView<T>({ value, children }: { value: Async<T>; children: (data: T) => ComponentChildren }) {
  if (value.error !== undefined) return <ErrorBox error={value.error} onRetry={value.reload} />;
  if (value.data === undefined) return <Loading />;
  return <>{children(value.data)}</>;
}

/** Whether a page has been shown yet: the first one does not move the focus (the browser starts at the top). */
let pageShown = false;

/**
 * The page heading. When the user moves to another page it takes the focus, so keyboard and
 * screen-reader users land on the new content instead of staying on the link they followed.
 */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const i18n = useI18n();
  useEffect(() => {
    document.title = `${title} · ${i18n.t('appTitle')}`;
  }, [title, i18n]);
  useEffect(() => {
    if (pageShown) ref.current?.focus();
    pageShown = true;
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} class="page-title">
      {children}
    </h1>
  );
}

/** A milestone's status; `compact` (in tables) marks an overdue one inside the same badge. */
export function StatusBadge({ status, overdue, compact }: { status: MilestoneStatus; overdue?: boolean; compact?: boolean }) {
  const { t, status: label } = useI18n();
  if (compact) {
    return (
      <span class={`badge badge-${status}${overdue ? ' badge-late' : ''}`} title={overdue ? t('overdue') : undefined}>
        {overdue && <span aria-hidden="true">⚠ </span>}
        {label(status)}
        {overdue && <span class="visually-hidden">, {t('overdueShort')}</span>}
      </span>
    );
  }
  return (
    <span class="badges">
      <span class={`badge badge-${status}`}>{label(status)}</span>
      {overdue && <span class="badge badge-overdue">{t('overdue')}</span>}
    </span>
  );
}

// ---------- form fields ----------

interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
}

function describedBy(id: string, error?: string, hint?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function FieldShell({ id, label, error, hint, required, children }: FieldProps & { children: ComponentChildren }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>
        {label}
        {required && (
          <span class="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {children}
      {error && (
        <p id={`${id}-error`} class="field-error" data-field-error={id}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The input attributes the dashboard uses (Preact's own type is a union keyed by `type`). */
interface InputAttrs {
  type?: 'text' | 'number' | 'date' | 'search';
  min?: number;
  max?: number;
  step?: number | 'any';
  maxLength?: number;
  inputMode?: 'decimal' | 'numeric' | 'text';
  autoComplete?: string;
}

export function InputField(props: FieldProps & InputAttrs & { value: string; onValue: (v: string) => void }) {
  const { id, label, error, hint, required, value, onValue, ...rest } = props;
  return (
    <FieldShell id={id} label={label} error={error} hint={hint} required={required}>
      <input
        {...({ ...rest, type: rest.type ?? 'text' } as Omit<InputAttrs, 'type'> & { type: 'text' })}
        id={id}
        name={id}
        value={value}
        required={required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, hint)}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </FieldShell>
  );
}

export function TextAreaField(props: FieldProps & { value: string; onValue: (v: string) => void; rows?: number; maxLength?: number }) {
  const { id, label, error, hint, required, value, onValue, rows, maxLength } = props;
  return (
    <FieldShell id={id} label={label} error={error} hint={hint} required={required}>
      <textarea
        id={id}
        name={id}
        rows={rows ?? 3}
        maxLength={maxLength}
        value={value}
        required={required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, hint)}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </FieldShell>
  );
}

export function SelectField(
  props: FieldProps & {
    value: string;
    onValue: (v: string) => void;
    options: readonly { value: string; label: string }[];
    disabled?: boolean;
  },
) {
  const { id, label, error, hint, value, onValue, options, disabled } = props;
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <select
        id={id}
        name={id}
        value={value}
        disabled={disabled}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, hint)}
        onChange={(e) => onValue(e.currentTarget.value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

/**
 * Moves the focus to a form's first invalid field, or its error message, once the page has drawn them;
 * unless the user has put it somewhere else in between (started correcting a field): the keys they type
 * next must not land elsewhere.
 */
export function focusFirstError(form: HTMLFormElement | null): void {
  const before = document.activeElement;
  requestAnimationFrame(() => {
    const now = document.activeElement;
    if (now !== before && now !== null && now !== document.body) return;
    form?.querySelector<HTMLElement>('[aria-invalid="true"], .form-error')?.focus();
  });
}

/** A table's head row: one column header per label. */
export function ColumnHeads({ labels, numeric = [] }: { labels: readonly string[]; numeric?: readonly number[] }) {
  return (
    <thead>
      <tr>
        {labels.map((label, i) => (
          <th scope="col" key={i} class={numeric.includes(i) ? 'num' : undefined}>
            {label}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/**
 * Asks before an action that cannot be taken back silently: the question, a "yes" button that takes the
 * focus, and "cancel". Nothing happens until "yes".
 */
export function ConfirmPanel(props: {
  id: string;
  question: string;
  yes: string;
  danger?: boolean;
  busy: boolean;
  error?: string | null;
  onYes: () => void;
  onCancel: () => void;
}) {
  const { id, question, yes, danger, busy, error, onYes, onCancel } = props;
  const { t } = useI18n();
  const yesRef = useRef<HTMLButtonElement>(null);
  useEffect(() => yesRef.current?.focus(), [question]);
  return (
    <div class="alert alert-info confirm" role="alertdialog" aria-labelledby={`${id}-text`} data-testid={id}>
      <p id={`${id}-text`}>{question}</p>
      {error && <p class="field-error">{error}</p>}
      <div class="form-actions">
        <button
          ref={yesRef}
          type="button"
          class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`}
          onClick={onYes}
          disabled={busy}
          aria-busy={busy}
        >
          {yes}
        </button>
        <button type="button" class="btn btn-secondary" onClick={onCancel} disabled={busy}>
          {t('cancel')}
        </button>
      </div>
    </div>
  );
}
