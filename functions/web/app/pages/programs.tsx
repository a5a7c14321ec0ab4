/**
 * Programme versions: the list (published and drafts), one version shown readably (milestones,
 * dependencies, date rules with the dates they give each cohort, evidence and reminder rules, targets),
 * and for a draft an editor — the definition as JSON plus structured editing of each milestone's
 * deadline — its validation problems at their field paths, and publishing with a confirmation. A
 * published version is read-only. Program managers only (the API refuses anyone else's writes).
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import type { FieldError, Me } from '../../../../shared/api/schemas.js';
import type { ProgramVersionView } from '../../../../shared/api/program-versions.js';
import { resolveDate } from '../../../../shared/program/plan.js';
import { CohortYear, ProgramDefinition, type DateRule, type MilestoneDefinition } from '../../../../shared/program/model.js';
import type { Json } from '../../../../shared/program/versions.js';
import { api, ApiError } from '../api.js';
import { useI18n, type I18n } from '../i18n.js';
import { loadPublishedPrograms, PROGRAM } from '../program.js';
import { MigrationPanel } from './migration.js';
import { href, navigate } from '../router.js';
import { AsyncView, ColumnHeads, ConfirmPanel, errorText, InputField, PageTitle, SelectField, useAsync } from '../ui.js';

/** Who may open the page: program managers, who draft and publish versions. */
export function programsAllowed(me: Me): boolean {
  return me.role === 'program-manager';
}

const PROGRAM_ID = PROGRAM.id;
const COHORTS: number[] = [];
for (let y = CohortYear.minValue ?? 2021; y <= (CohortYear.maxValue ?? 2024); y++) COHORTS.push(y);

export function ProgramsPage({ me, version }: { me: Me; version: string | undefined }) {
  const n = version === undefined ? undefined : Number(version);
  if (n !== undefined && !(Number.isInteger(n) && n > 0)) return <NotFound />;
  return n === undefined ? <VersionList me={me} /> : <VersionPage version={n} />;
}

function NotFound() {
  const { t } = useI18n();
  return <p role="alert">{t('notFound')}</p>;
}

/** The latest published version: the one the programme runs on. */
function currentOf(items: readonly ProgramVersionView[]): ProgramVersionView | undefined {
  return [...items].reverse().find((v) => v.status === 'published');
}

function VersionBadge({ v, current }: { v: ProgramVersionView; current?: boolean }) {
  const { t } = useI18n();
  return (
    <span class="badges">
      <span class={`badge badge-version-${v.status}`}>{t(`programs.status.${v.status}`)}</span>
      {current && <span class="badge badge-version-current">{t('programs.current')}</span>}
    </span>
  );
}

function VersionList({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t } = i18n;
  const list = useAsync(() => api.programVersions(PROGRAM_ID), [me.sub]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  async function draftFrom(current: ProgramVersionView) {
    setBusy(true);
    setError(undefined);
    try {
      const draft = await api.draftProgramVersion(PROGRAM_ID, current.definition);
      navigate(href(['programs', String(draft.version)], { created: '1' }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageTitle title={t('programs.title')}>{t('programs.title')}</PageTitle>
      <p class="lead">{t('programs.intro')}</p>
      <AsyncView value={list}>
        {(data) => {
          const current = currentOf(data.items);
          return (
            <section aria-labelledby="versions-h">
              <h2 id="versions-h">{t('programs.list')}</h2>
              {error !== undefined && (
                <p class="alert alert-error" role="alert">
                  {errorText(error, i18n)}
                </p>
              )}
              {current && (
                <div class="toolbar">
                  <button type="button" class="btn btn-primary" onClick={() => void draftFrom(current)} disabled={busy} aria-busy={busy}>
                    {t('programs.newDraft')}
                  </button>
                </div>
              )}
              <div class="table-wrap">
                <table class="data-table versions-table">
                  <caption class="visually-hidden">{t('programs.list')}</caption>
                  <ColumnHeads
                    labels={[
                      t('programs.list'),
                      t('programs.status'),
                      t('programs.updated'),
                      t('programs.author'),
                      t('programs.problemCount'),
                    ]}
                    numeric={[4]}
                  />
                  <tbody>
                    {[...data.items].reverse().map((v) => (
                      <tr key={v.version} data-version={v.version} data-status={v.status}>
                        <th scope="row">
                          <a href={href(['programs', String(v.version)])}>{t('programs.version', { n: v.version })}</a>
                        </th>
                        <td>
                          <VersionBadge v={v} current={v === current} />
                        </td>
                        <td>{i18n.dateTime(v.updatedAt)}</td>
                        <td>{v.author}</td>
                        <td class="num">{v.status === 'draft' ? v.problems.length : t('none')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          );
        }}
      </AsyncView>
    </>
  );
}

const pretty = (definition: Json) => JSON.stringify(definition, null, 2);

function VersionPage({ version }: { version: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const loaded = useAsync(() => api.programVersion(PROGRAM_ID, version), [version]);
  const [notice, setNotice] = useState<string | null>(() =>
    new URLSearchParams(location.hash.split('?')[1] ?? '').get('created') ? t('programs.created', { n: version }) : null,
  );
  const title = t('programs.version', { n: version });
  return (
    <>
      <p>
        <a href={href(['programs'])}>← {t('programs.back')}</a>
      </p>
      <PageTitle title={title}>{title}</PageTitle>
      <div class="status-line" role="status" aria-live="polite">
        {notice && (
          <p class="alert alert-success" data-testid="programs-notice">
            {notice}
          </p>
        )}
      </div>
      <AsyncView value={loaded}>
        {(v) =>
          v.status === 'published' ? (
            <PublishedVersion v={v} />
          ) : (
            <DraftEditor
              v={v}
              onNotice={setNotice}
              onPublished={() => {
                setNotice(t('programs.publishedDone', { n: version }));
                loaded.reload();
                void loadPublishedPrograms(api.programVersions, { again: true });
              }}
            />
          )
        }
      </AsyncView>
    </>
  );
}

function PublishedVersion({ v }: { v: ProgramVersionView }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div data-version-status="published">
      <p>
        <VersionBadge v={v} /> {v.publishedAt && t('programs.publishedAt', { date: i18n.dateTime(v.publishedAt) })}
      </p>
      <p class="alert alert-info">{t('programs.readOnly')}</p>
      {v.version > 1 && <MigrationPanel programId={v.programId} version={v.version} />}
      <ProgramView definition={v.definition} />
      <details class="definition-json">
        <summary>{t('programs.definitionView')}</summary>
        <pre>{pretty(v.definition)}</pre>
      </details>
    </div>
  );
}

/** Parses the editor's text; `undefined` with the reason when it is not JSON. */
function parseJson(text: string): { ok: true; value: Json } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

function DraftEditor({
  v,
  onNotice,
  onPublished,
}: {
  v: ProgramVersionView;
  onNotice: (text: string | null) => void;
  onPublished: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [saved, setSaved] = useState<{ text: string; problems: FieldError[] }>(() => ({
    text: pretty(v.definition),
    problems: v.problems,
  }));
  const [text, setText] = useState(saved.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const parsed = useMemo(() => parseJson(text), [text]);
  const dirty = text !== saved.text;
  const jsonError = parsed.ok ? undefined : t('programs.invalidJson', { reason: parsed.reason });
  const problems = saved.problems;

  async function save(e?: Event) {
    e?.preventDefault();
    if (!parsed.ok || busy) return;
    setBusy(true);
    setError(null);
    onNotice(null);
    try {
      const stored = await api.saveProgramDraft(v.programId, v.version, parsed.value);
      const storedText = pretty(stored.definition);
      setSaved({ text: storedText, problems: stored.problems });
      setText(storedText);
      onNotice(t('programs.saved'));
    } catch (err) {
      setError(errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  const editorRef = useRef<HTMLTextAreaElement>(null);
  /** Selects the line of a problem's field in the editor and scrolls it into view. */
  function locate(field: string) {
    const editor = editorRef.current;
    if (!editor || !parsed.ok) return;
    const found = lineOfField(parsed.value, field, text);
    if (!found) return;
    editor.focus();
    editor.setSelectionRange(found.start, found.end);
    const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    editor.scrollTop = Math.max(0, (found.line - 3) * lineHeight);
  }

  async function publish() {
    setBusy(true);
    setError(null);
    try {
      await api.publishProgramVersion(v.programId, v.version);
      setConfirming(false);
      onPublished();
    } catch (err) {
      setConfirming(false);
      // A 422 names every problem: they replace the list.
      if (err instanceof ApiError && err.fieldErrors.length > 0) setSaved((s) => ({ ...s, problems: [...err.fieldErrors] }));
      setError(errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div data-version-status="draft">
      <p>
        <VersionBadge v={v} />
      </p>
      {error && (
        <div class="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      )}
      <Problems problems={problems} definition={parseJson(saved.text)} onLocate={dirty ? undefined : locate} />
      {parsed.ok && <ProgramView definition={parsed.value} />}
      <form class="card draft-form" onSubmit={save} noValidate aria-labelledby="draft-h">
        <h2 id="draft-h">{t('programs.definition')}</h2>
        {parsed.ok && <DeadlineEditor definition={parsed.value} onChange={(d) => setText(pretty(d))} />}
        <div class={`field${jsonError || problems.length > 0 ? ' field-invalid' : ''}`}>
          <label for="definition">{t('programs.definition')}</label>
          <p id="definition-hint" class="hint">
            {t('programs.definitionHint')}
          </p>
          <textarea
            ref={editorRef}
            id="definition"
            name="definition"
            class="json-editor"
            rows={24}
            spellcheck={false}
            value={text}
            aria-invalid={jsonError || problems.length > 0 ? 'true' : undefined}
            aria-describedby={['definition-hint', jsonError ? 'definition-error' : '', problems.length > 0 ? 'problems-h' : '']
              .filter(Boolean)
              .join(' ')}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          {jsonError && (
            <p id="definition-error" class="field-error">
              {jsonError}
            </p>
          )}
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !parsed.ok || !dirty} aria-busy={busy}>
            {t('programs.save')}
          </button>
          <button
            type="button"
            class="btn btn-secondary"
            disabled={busy || dirty || problems.length > 0}
            onClick={() => setConfirming(true)}
          >
            {t('programs.publish')}
          </button>
          {dirty && <span class="muted">{t('programs.unsaved')}</span>}
        </div>
        {confirming && (
          <ConfirmPanel
            id="confirm-publish"
            question={t('programs.confirmPublish', { n: v.version })}
            yes={t('programs.confirmPublishYes')}
            busy={busy}
            onYes={() => void publish()}
            onCancel={() => setConfirming(false)}
          />
        )}
      </form>
    </div>
  );
}

/** The milestone a problem's field path is about (`definition.milestones.2.dependsOn` → its title). */
function milestoneAt(field: string, definition: ReturnType<typeof parseJson>, lang: I18n['lang']): string | undefined {
  const m = /^definition\.milestones\.(\d+)(\.|$)/.exec(field);
  if (!m || !definition.ok) return undefined;
  const milestones = (definition.value as { milestones?: unknown }).milestones;
  const entry = Array.isArray(milestones)
    ? (milestones[Number(m[1])] as { key?: unknown; title?: Record<string, unknown> } | undefined)
    : undefined;
  const title = entry?.title?.[lang];
  return typeof title === 'string' ? title : typeof entry?.key === 'string' ? entry.key : undefined;
}

/** The checks' reasons in the page's language where it has them (the API words them in English). */
function reasonText(reason: string, i18n: I18n): string {
  const { t } = i18n;
  let m = /^dependency cycle: (.+)$/.exec(reason);
  if (m) return t('programs.reason.cycle', { path: m[1]! });
  m = /^unknown dependency: (\S+) depends on "(.+)"$/.exec(reason);
  if (m) return t('programs.reason.unknownDependency', { milestone: m[1]!, dependency: m[2]! });
  m = /^duplicate milestone key: (.+)$/.exec(reason);
  if (m) return t('programs.reason.duplicateKey', { key: m[1]! });
  return reason;
}

/**
 * Where a field path (`definition.milestones.0.dependsOn`) is in the editor's text, which is the
 * definition as `pretty` writes it: the definition is written again with a marker at that path (or at
 * the nearest part of it that exists), and everything before the marker is the same text. The range is
 * the marker's line.
 */
export function lineOfField(definition: Json, field: string, text: string): { start: number; end: number; line: number } | undefined {
  const path = field.split('.').slice(1);
  const MARK = '\u0000field\u0000';
  for (let depth = path.length; depth >= 0; depth--) {
    const copy = JSON.parse(JSON.stringify(definition)) as Json;
    let parent: Json = copy;
    let ok = true;
    for (const segment of path.slice(0, Math.max(0, depth - 1))) {
      const next: Json | undefined = parent !== null && typeof parent === 'object' ? (parent as Record<string, Json>)[segment] : undefined;
      if (next === undefined || next === null || typeof next !== 'object') {
        ok = false;
        break;
      }
      parent = next;
    }
    const last = path[depth - 1];
    if (!ok || (depth > 0 && (last === undefined || typeof parent !== 'object' || parent === null || !(last in parent)))) continue;
    const marked = depth === 0 ? MARK : (((parent as Record<string, Json>)[last!] = MARK), copy);
    const at = pretty(marked).indexOf(JSON.stringify(MARK));
    if (at < 0 || text.slice(0, at) !== pretty(marked).slice(0, at)) return undefined;
    const start = text.lastIndexOf('\n', at - 1) + 1;
    const newline = text.indexOf('\n', at);
    return { start, end: newline < 0 ? text.length : newline, line: text.slice(0, start).split('\n').length - 1 };
  }
  return undefined;
}

function Problems({
  problems,
  definition,
  onLocate,
}: {
  problems: readonly FieldError[];
  definition: ReturnType<typeof parseJson>;
  onLocate?: (field: string) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  if (problems.length === 0) {
    return (
      <p class="alert alert-success" data-testid="no-problems">
        {t('programs.noProblems')}
      </p>
    );
  }
  return (
    <section class="card problems" aria-labelledby="problems-h">
      <h2 id="problems-h">
        {t('programs.problems')} ({problems.length})
      </h2>
      <p class="muted">{t('programs.problemsIntro')}</p>
      <table class="data-table problems-table">
        <ColumnHeads labels={[t('programs.field'), t('programs.reason')]} />
        <tbody>
          {problems.map((p, i) => {
            const milestone = milestoneAt(p.field, definition, i18n.lang);
            return (
              <tr key={i} data-field={p.field}>
                <th scope="row">
                  <code>{p.field}</code>
                  {milestone && <span class="problem-milestone"> ({t('programs.atMilestone', { milestone })})</span>}
                </th>
                <td>
                  {reasonText(p.reason, i18n)}
                  {onLocate && (
                    <>
                      {' '}
                      <button type="button" class="btn btn-secondary btn-small" onClick={() => onLocate(p.field)}>
                        {t('programs.showInEditor')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

// ---------- the readable view ----------

function ruleText(rule: DateRule, program: ProgramDefinition, i18n: I18n): string {
  const { t } = i18n;
  switch (rule.kind) {
    case 'fixed':
      return t('programs.rule.fixed', { date: i18n.date(rule.date) });
    case 'cohort-year': {
      const dayMonth = new Intl.DateTimeFormat(i18n.lang === 'ru' ? 'ru-RU' : 'en-GB', {
        day: 'numeric',
        month: 'long',
        timeZone: 'UTC',
      }).format(Date.UTC(2021, rule.month - 1, rule.day));
      return t('programs.rule.cohort-year', { dayMonth });
    }
    case 'cohort-start':
      return rule.offsetDays === 0
        ? t('programs.rule.cohort-start')
        : t('programs.rule.cohort-start-offset', { sign: rule.offsetDays > 0 ? '+' : '−', n: Math.abs(rule.offsetDays) });
    case 'same-as': {
      const other = program.milestones.find((m) => m.key === rule.milestone);
      return t('programs.rule.same-as', { milestone: other?.title[i18n.lang] ?? rule.milestone });
    }
  }
}

/** The dates a rule gives each cohort year, unless it is one date for all. */
function byCohort(program: ProgramDefinition, m: MilestoneDefinition, field: 'plannedStart' | 'deadline', i18n: I18n): string | null {
  const dates: string[] = [];
  for (const year of COHORTS) {
    try {
      dates.push(resolveDate(program, m.key, field, year));
    } catch {
      return null;
    }
  }
  if (new Set(dates).size === 1) return null;
  return i18n.t('programs.deadlineByCohort', { list: COHORTS.map((y, i) => `${y} — ${i18n.date(dates[i]!)}`).join('; ') });
}

function RuleCell({ program, m, field }: { program: ProgramDefinition; m: MilestoneDefinition; field: 'plannedStart' | 'deadline' }) {
  const i18n = useI18n();
  const cohorts = byCohort(program, m, field, i18n);
  return (
    <td data-rule={field}>
      {ruleText(m[field], program, i18n)}
      {cohorts && <span class="rule-cohorts">{cohorts}</span>}
    </td>
  );
}

/** `hh:mm` plus `minutes` (the window ends before midnight: the policy's rule). */
function windowEnd(hhmm: string, minutes: number): string {
  const [h, m] = hhmm.split(':').map(Number);
  const total = (h ?? 0) * 60 + (m ?? 0) + minutes;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

function remindersText(m: MilestoneDefinition, i18n: I18n): string {
  const { t } = i18n;
  const r = m.reminders;
  const main = t('programs.remindersText', {
    days: [...r.daysBefore].sort((a, b) => b - a).join(', '),
    every: r.overdueEveryDays,
    time:
      r.spreadMinutes > 0
        ? t('programs.remindersWindow', { from: r.localTime, to: windowEnd(r.localTime, r.spreadMinutes) })
        : t('programs.remindersAt', { time: r.localTime }),
    workingDays: r.onWorkingDays ? t('programs.workingDays') : '',
  });
  if (r.escalation.length === 0) return main;
  const steps = r.escalation.map((e) => t('programs.escalationStep', { level: i18n.level(e.to), n: e.afterDaysOverdue })).join(', ');
  return `${main}; ${t('programs.escalationText', { list: steps })}`;
}

/** A definition as tables, when it has the program's shape (a draft being edited may not). */
function ProgramView({ definition }: { definition: Json }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const parsed = ProgramDefinition.safeParse(definition);
  if (!parsed.success) return <p class="muted">{t('programs.unreadable')}</p>;
  const program = parsed.data;
  const titleOf = (key: string) => program.milestones.find((m) => m.key === key)?.title[lang] ?? key;
  return (
    <section aria-labelledby="program-milestones-h" class="program-view">
      <h2 id="program-milestones-h">
        {program.title[lang]}: {t('programs.milestones')}
      </h2>
      <div class="table-wrap">
        <table class="data-table milestones-table">
          <ColumnHeads
            labels={[
              t('programs.milestone'),
              t('programs.dependsOn'),
              t('programs.plannedStart'),
              t('programs.deadline'),
              t('programs.evidence'),
              t('programs.reminders'),
            ]}
          />
          <tbody>
            {program.milestones.map((m) => (
              <tr key={m.key} data-milestone={m.key}>
                <th scope="row">
                  {m.title[lang]}
                  <span class="muted milestone-key">
                    {t('programs.key')}: <code>{m.key}</code> · {t('programs.assignee')}: {t(`programs.assignee.${m.assignee}`)}
                  </span>
                  <span class="muted milestone-done">
                    {t('programs.doneWhen')}: {m.doneWhen[lang]}
                  </span>
                </th>
                <td data-depends-on>{m.dependsOn.length ? m.dependsOn.map(titleOf).join(', ') : t('programs.none')}</td>
                <RuleCell program={program} m={m} field="plannedStart" />
                <RuleCell program={program} m={m} field="deadline" />
                <td>{t(`programs.evidence.${m.evidence}`)}</td>
                <td>{remindersText(m, i18n)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {program.targets.length > 0 && (
        <>
          <h3>{t('programs.targets')}</h3>
          <ul class="program-targets">
            {program.targets.map((target, i) => (
              <li key={i}>
                {titleOf(target.milestone)}: {t('programs.targetText', { share: i18n.percent(target.share), date: i18n.date(target.date) })}
                {target.scope === 'cohorts-due' ? t('programs.targetCohorts') : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

// ---------- structured editing of deadlines ----------

const RULE_KINDS = ['fixed', 'cohort-year', 'cohort-start', 'same-as'] as const;
type RuleKind = (typeof RULE_KINDS)[number];

/** A new rule of another kind, from the old one's values where they fit. */
function ruleOfKind(kind: RuleKind, old: Record<string, Json>, otherKey: string): Record<string, Json> {
  switch (kind) {
    case 'fixed':
      return { kind, date: typeof old.date === 'string' ? old.date : `${CohortYear.minValue ?? 2021}-12-31` };
    case 'cohort-year':
      return { kind, month: typeof old.month === 'number' ? old.month : 12, day: typeof old.day === 'number' ? old.day : 1 };
    case 'cohort-start':
      return { kind, offsetDays: typeof old.offsetDays === 'number' ? old.offsetDays : 0 };
    case 'same-as':
      return { kind, milestone: typeof old.milestone === 'string' ? old.milestone : otherKey };
  }
}

const asRecord = (v: Json | undefined): Record<string, Json> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;

/** A number where the input holds one, the text otherwise (the checks then name the field). */
const numberOrText = (v: string): Json => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/**
 * Each milestone's deadline rule as form fields; a change rewrites the definition (and so the JSON
 * editor). Shown while the definition has a list of milestones with keys.
 */
function DeadlineEditor({ definition, onChange }: { definition: Json; onChange: (d: Json) => void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const root = asRecord(definition);
  const milestones = root && Array.isArray(root.milestones) ? root.milestones.map(asRecord) : undefined;
  if (!root || !milestones || milestones.some((m) => !m || typeof m.key !== 'string')) return null;
  const keys = milestones.map((m) => String(m!.key));

  const update = (index: number, rule: Record<string, Json>) => {
    const next = milestones.map((m, i) => (i === index ? { ...m!, deadline: rule } : m!));
    onChange({ ...root, milestones: next });
  };

  return (
    <fieldset class="deadline-editor">
      <legend>{t('programs.deadlines')}</legend>
      <p class="hint">{t('programs.deadlinesHint')}</p>
      {milestones.map((m, i) => {
        const key = keys[i]!;
        const rule = asRecord(m!.deadline) ?? {};
        const kind = (RULE_KINDS as readonly string[]).includes(String(rule.kind)) ? (rule.kind as RuleKind) : 'fixed';
        const title = asRecord(m!.title)?.[lang];
        const id = (f: string) => `deadline-${key}-${f}`;
        const set = (field: string, value: Json) => update(i, { ...rule, [field]: value });
        return (
          <div
            class="deadline-row"
            key={key}
            data-milestone={key}
            role="group"
            aria-label={`${t('programs.deadline')}: ${typeof title === 'string' ? title : key}`}
          >
            <p class="deadline-title">{typeof title === 'string' ? title : key}</p>
            <div class="field-row">
              <SelectField
                id={id('kind')}
                label={t('programs.deadlineKind')}
                value={kind}
                onValue={(v) => update(i, ruleOfKind(v as RuleKind, rule, keys.find((k) => k !== key) ?? key))}
                options={RULE_KINDS.map((k) => ({ value: k, label: t(`programs.deadlineKind.${k}`) }))}
              />
              {kind === 'fixed' && (
                <InputField
                  id={id('date')}
                  label={t('programs.deadlineDate')}
                  type="date"
                  value={String(rule.date ?? '')}
                  onValue={(v) => set('date', v)}
                />
              )}
              {kind === 'cohort-year' && (
                <>
                  <InputField
                    id={id('day')}
                    label={t('programs.deadlineDay')}
                    type="number"
                    min={1}
                    max={31}
                    value={String(rule.day ?? '')}
                    onValue={(v) => set('day', numberOrText(v))}
                  />
                  <InputField
                    id={id('month')}
                    label={t('programs.deadlineMonth')}
                    type="number"
                    min={1}
                    max={12}
                    value={String(rule.month ?? '')}
                    onValue={(v) => set('month', numberOrText(v))}
                  />
                </>
              )}
              {kind === 'cohort-start' && (
                <InputField
                  id={id('offset')}
                  label={t('programs.deadlineOffset')}
                  type="number"
                  value={String(rule.offsetDays ?? 0)}
                  onValue={(v) => set('offsetDays', numberOrText(v))}
                />
              )}
              {kind === 'same-as' && (
                <SelectField
                  id={id('milestone')}
                  label={t('programs.deadlineSameAs')}
                  value={String(rule.milestone ?? '')}
                  onValue={(v) => set('milestone', v)}
                  options={keys
                    .filter((k) => k !== key)
                    .map((k) => ({ value: k, label: String(asRecord(milestones[keys.indexOf(k)]!.title)?.[lang] ?? k) }))}
                />
              )}
            </div>
          </div>
        );
      })}
    </fieldset>
  );
}
