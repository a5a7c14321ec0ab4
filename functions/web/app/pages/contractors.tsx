/**
 * The contractor register: the organisations that do the work (kind, districts, contacts, active or not)
 * and their contracts (number, date, milestone, the districts or schools covered, end date). Program
 * managers register and edit them; the form checks with the API's own schema (`ContractorInput`) before
 * sending and shows the API's field errors at their fields. Deactivating a contractor that still holds
 * open work is refused by the API with that work listed: the page shows it and offers to hand it to
 * another contractor in the same step.
 */
import { useState } from 'preact/hooks';
import { ContractorInput, type ContractorView } from '../../../../shared/api/administration.js';
import type { FieldError, Me } from '../../../../shared/api/schemas.js';
import { ContractorKind, type Contract } from '../../../../shared/program/model.js';
import { ApiError } from '../api.js';
import { regionApi } from '../api-region.js';
import { useI18n, type I18n } from '../i18n.js';
import { allMilestones, districtName, milestoneTitle, sortedDistricts } from '../program.js';
import { FormButtons, FormError, useFormState } from '../form-state.js';
import { AsyncView, ColumnHeads, ConfirmPanel, errorText, InputField, PageTitle, SelectField, useAsync } from '../ui.js';
import { zodFieldErrors, type FieldErrors } from '../validation.js';

/** Who may open the register: program managers (the API lets only them change it). */
export function contractorsAllowed(me: Me): boolean {
  return me.role === 'program-manager';
}

const list = (text: string): string[] =>
  text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

interface ContractValues {
  number: string;
  date: string;
  milestone: string;
  districts: string;
  schools: string;
  endDate: string;
}

interface ContractorValues {
  id: string;
  name: string;
  kind: string;
  districts: string[];
  emails: string;
  contracts: ContractValues[];
}

const emptyContract = (): ContractValues => ({ number: '', date: '', milestone: '', districts: '', schools: '', endDate: '' });

function valuesOf(view: ContractorView | null): ContractorValues {
  if (!view) return { id: '', name: '', kind: '', districts: [], emails: '', contracts: [] };
  const c = view.contractor;
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    districts: [...c.districts],
    emails: c.emails.join(', '),
    contracts: c.contracts.map((k: Contract) => ({
      number: k.number,
      date: k.date,
      milestone: k.milestone,
      districts: k.districts.join(', '),
      schools: k.schools.join(', '),
      endDate: k.endDate,
    })),
  };
}

/** The request body of the form (the same shape for a new contractor and, without `id`, an edit). */
function bodyOf(v: ContractorValues): Record<string, unknown> {
  return {
    id: v.id.trim(),
    name: v.name,
    kind: v.kind || undefined,
    districts: v.districts,
    emails: list(v.emails),
    contracts: v.contracts.map((k) => ({
      number: k.number,
      date: k.date || undefined,
      milestone: k.milestone || undefined,
      districts: list(k.districts),
      schools: list(k.schools),
      endDate: k.endDate || undefined,
    })),
  };
}

/** A path of the body to the form's field: a list's items are one field (`emails.2` → `emails`). */
function fieldOf(path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  if (parts[0] === 'contracts' && parts.length >= 3) return `contracts.${parts[1]}.${parts[2]}`;
  if (parts[0] === 'districts' || parts[0] === 'emails') return parts[0];
  return parts.join('.');
}

/** The API's field errors at the form's fields (`body.contracts.1.endDate`), the register's rules in the page's language. */
function apiErrors(errors: readonly FieldError[], i18n: I18n): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) out[fieldOf(e.field.replace(/^body\./, '').split('.'))] ??= localized(e.reason, i18n);
  return out;
}

function localized(reason: string, i18n: I18n): string {
  if (i18n.lang === 'en') return reason;
  const { t } = i18n;
  const unknown = /^unknown district (\S+)/.exec(reason);
  if (unknown) return t('contractors.error.unknownDistrict', { id: unknown[1]! });
  const notServed = /does not serve district (\S+)/.exec(reason);
  if (notServed) return t('contractors.error.notServed', { id: districtName(notServed[1], i18n.lang) });
  const kind = /is done by a (\S+), not by/.exec(reason);
  if (kind) return t('contractors.error.wrongKind', { kind: kindText(kind[1]!, i18n) });
  if (/listed twice/.test(reason)) return t('contractors.error.numberTwice');
  return reason;
}

function kindText(kind: string, i18n: I18n): string {
  const known = ContractorKind.safeParse(kind);
  return known.success ? i18n.t(`contractors.kind.${known.data}`) : kind === 'school' ? i18n.t('role.school-staff') : kind;
}

type Panel = { kind: 'new' } | { kind: 'edit'; view: ContractorView } | { kind: 'deactivate'; view: ContractorView };

export function ContractorsPage({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t } = i18n;
  const contractors = useAsync(() => regionApi.contractors(), [me.sub]);
  const [panel, setPanel] = useState<Panel | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (text: string) => {
    setPanel(null);
    setNotice(text);
    contractors.reload();
  };

  return (
    <>
      <PageTitle title={t('contractors.title')}>{t('contractors.title')}</PageTitle>
      <p class="lead">{t('contractors.intro')}</p>
      <div class="status-line" role="status" aria-live="polite">
        {notice && (
          <p class="alert alert-success" data-testid="contractors-notice">
            {notice}
          </p>
        )}
      </div>
      <div class="form-actions">
        <button
          type="button"
          class="btn btn-primary"
          onClick={() => {
            setNotice(null);
            setPanel({ kind: 'new' });
          }}
        >
          {t('contractors.new')}
        </button>
      </div>
      {panel && panel.kind !== 'deactivate' && (
        <ContractorForm
          key={panel.kind === 'edit' ? panel.view.contractor.id : 'new'}
          view={panel.kind === 'edit' ? panel.view : null}
          onCancel={() => setPanel(null)}
          onSaved={(v) => done(t(panel.kind === 'new' ? 'contractors.created' : 'contractors.saved', { name: v.contractor.name }))}
        />
      )}
      <AsyncView value={contractors}>
        {(data) => (
          <>
            {panel?.kind === 'deactivate' && (
              <DeactivatePanel
                view={panel.view}
                others={data.items}
                onCancel={() => setPanel(null)}
                onDone={(n) => done(t('contractors.deactivated', { name: panel.view.contractor.name, n }))}
              />
            )}
            <ContractorTable
              items={data.items}
              onEdit={(view) => setPanel({ kind: 'edit', view })}
              onDeactivate={(view) => setPanel({ kind: 'deactivate', view })}
              onReactivated={(view) => done(t('contractors.reactivated', { name: view.contractor.name }))}
            />
          </>
        )}
      </AsyncView>
    </>
  );
}

function ContractorTable(props: {
  items: ContractorView[];
  onEdit: (v: ContractorView) => void;
  onDeactivate: (v: ContractorView) => void;
  onReactivated: (v: ContractorView) => void;
}) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [error, setError] = useState<string | null>(null);
  if (props.items.length === 0) return <p class="empty">{t('contractors.empty')}</p>;
  return (
    <div class="table-wrap">
      {error && <p class="alert alert-error">{error}</p>}
      <table class="data-table contractors-table">
        <caption class="visually-hidden">{t('contractors.title')}</caption>
        <ColumnHeads
          labels={[
            t('contractors.name'),
            t('contractors.kind'),
            t('contractors.districts'),
            t('contractors.emails'),
            t('contractors.state'),
            t('contractors.contracts'),
            t('users.actions'),
          ]}
          numeric={[5]}
        />
        <tbody>
          {props.items.map((v) => {
            const c = v.contractor;
            return (
              <tr key={c.id} data-contractor={c.id} data-active={String(c.active)}>
                <th scope="row">
                  {c.name}
                  <span class="muted"> · {c.id}</span>
                </th>
                <td>{t(`contractors.kind.${c.kind}`)}</td>
                <td>
                  {c.districts.length === 0 ? t('contractors.wholeRegion') : c.districts.map((d) => districtName(d, lang)).join(', ')}
                </td>
                <td>{c.emails.join(', ') || t('none')}</td>
                <td>
                  <span class={`badge badge-user-${c.active ? 'active' : 'disabled'}`}>
                    {t(c.active ? 'contractors.active' : 'contractors.inactive')}
                  </span>
                </td>
                <td class="num">{c.contracts.length}</td>
                <td class="actions-cell">
                  <button type="button" class="btn btn-secondary btn-small" onClick={() => props.onEdit(v)}>
                    {t('contractors.edit')}
                  </button>{' '}
                  {c.active ? (
                    <button type="button" class="btn btn-secondary btn-small" onClick={() => props.onDeactivate(v)}>
                      {t('contractors.deactivate')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      class="btn btn-secondary btn-small"
                      onClick={() => {
                        setError(null);
                        regionApi.reactivateContractor(c.id, v.version).then(props.onReactivated, (e) => setError(errorText(e, i18n)));
                      }}
                    >
                      {t('contractors.reactivate')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ContractorForm({
  view,
  onSaved,
  onCancel,
}: {
  view: ContractorView | null;
  onSaved: (v: ContractorView) => void;
  onCancel: () => void;
}) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [values, setValues] = useState<ContractorValues>(() => valuesOf(view));
  const { formRef, errors, formError, busy, refuse, send } = useFormState();
  const editing = view !== null;

  const set = (field: 'id' | 'name' | 'kind' | 'emails') => (v: string) => setValues((old) => ({ ...old, [field]: v }));
  const setContract = (i: number, field: keyof ContractValues) => (v: string) =>
    setValues((old) => ({ ...old, contracts: old.contracts.map((k, j) => (j === i ? { ...k, [field]: v } : k)) }));
  const prop = (field: 'id' | 'name' | 'kind' | 'emails') => ({
    id: `contractor-${field}`,
    value: values[field],
    onValue: set(field),
    error: errors[field],
  });
  const choose = { value: '', label: t('users.choose') };

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const parsed = ContractorInput.safeParse(bodyOf(values));
    if (!parsed.success) return refuse(zodFieldErrors(parsed.error, i18n, fieldOf));
    const { id, ...edit } = parsed.data;
    await send(
      async () =>
        onSaved(editing ? await regionApi.updateContractor(id, edit, view.version) : await regionApi.createContractor(parsed.data)),
      {
        fields: (errors) => apiErrors(errors, i18n),
        other: (err) =>
          err instanceof ApiError && err.status === 409 ? t(editing ? 'contractors.changedElsewhere' : 'contractors.idTaken') : undefined,
      },
    );
  }

  return (
    <form ref={formRef} class="card contractor-form" onSubmit={submit} noValidate aria-labelledby="contractor-form-h">
      <h2 id="contractor-form-h">{editing ? t('contractors.editTitle', { name: view.contractor.name }) : t('contractors.new')}</h2>
      <FormError message={formError} />
      {!editing && (
        <InputField {...prop('id')} label={t('contractors.field.id')} hint={t('contractors.field.idHint')} required maxLength={64} />
      )}
      <InputField {...prop('name')} label={t('contractors.field.name')} required maxLength={300} />
      <SelectField
        {...prop('kind')}
        label={t('contractors.field.kind')}
        options={[choose, ...ContractorKind.options.map((k) => ({ value: k, label: t(`contractors.kind.${k}`) }))]}
      />
      <div class={`field${errors.districts ? ' field-invalid' : ''}`}>
        <label for="contractor-districts">{t('contractors.field.districts')}</label>
        <p class="hint" id="contractor-districts-hint">
          {t('contractors.field.districtsHint')}
        </p>
        <select
          id="contractor-districts"
          multiple
          size={6}
          aria-invalid={errors.districts ? 'true' : undefined}
          aria-describedby={`contractor-districts-hint${errors.districts ? ' contractor-districts-error' : ''}`}
          onChange={(e) => {
            const chosen = Array.from(e.currentTarget.selectedOptions, (o) => o.value);
            setValues((old) => ({ ...old, districts: chosen }));
          }}
        >
          {sortedDistricts(lang).map((d) => (
            <option key={d.id} value={d.id} selected={values.districts.includes(d.id)}>
              {districtName(d.id, lang)}
            </option>
          ))}
        </select>
        {errors.districts && (
          <p class="field-error" id="contractor-districts-error" data-field-error="contractor-districts">
            {errors.districts}
          </p>
        )}
      </div>
      <InputField {...prop('emails')} label={t('contractors.field.emails')} hint={t('contractors.field.emailsHint')} maxLength={2000} />
      <fieldset class="contracts">
        <legend>{t('contractors.contracts')}</legend>
        {values.contracts.length === 0 && <p class="muted">{t('contractors.noContracts')}</p>}
        {values.contracts.map((k, i) => {
          const cp = (field: keyof ContractValues) => ({
            id: `contract-${i}-${field}`,
            value: k[field],
            onValue: setContract(i, field),
            error: errors[`contracts.${i}.${field}`],
          });
          return (
            <div class="contract-row card" key={i} data-contract={i}>
              <h3 class="subhead">{t('contractors.contractN', { n: i + 1 })}</h3>
              <InputField {...cp('number')} label={t('contractors.field.number')} required maxLength={64} />
              <InputField {...cp('date')} type="date" label={t('contractors.field.date')} required />
              <SelectField
                {...cp('milestone')}
                label={t('contractors.field.milestone')}
                options={[choose, ...allMilestones().map((m) => ({ value: m.key, label: milestoneTitle(m.key, lang) }))]}
              />
              <InputField {...cp('districts')} label={t('contractors.field.contractDistricts')} hint={t('contractors.field.idsHint')} />
              <InputField {...cp('schools')} label={t('contractors.field.contractSchools')} hint={t('contractors.field.idsHint')} />
              <InputField {...cp('endDate')} type="date" label={t('contractors.field.endDate')} required />
              <button
                type="button"
                class="btn btn-secondary btn-small"
                onClick={() => setValues((old) => ({ ...old, contracts: old.contracts.filter((_, j) => j !== i) }))}
              >
                {t('contractors.removeContract')}
              </button>
            </div>
          );
        })}
        <button
          type="button"
          class="btn btn-secondary"
          onClick={() => setValues((old) => ({ ...old, contracts: [...old.contracts, emptyContract()] }))}
        >
          {t('contractors.addContract')}
        </button>
      </fieldset>
      <FormButtons label={t('contractors.save')} busy={busy} onCancel={onCancel} />
    </form>
  );
}

/** The open work an API refusal lists (`school/milestone`). */
function openWorkOf(error: ApiError): { schoolId: string; milestone: string }[] {
  return error.fieldErrors
    .map((e) => /^([^/]+)\/([^/]+)$/.exec(e.reason))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ schoolId: m[1]!, milestone: m[2]! }));
}

function DeactivatePanel(props: {
  view: ContractorView;
  others: ContractorView[];
  onCancel: () => void;
  onDone: (reassigned: number) => void;
}) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const c = props.view.contractor;
  const [reason, setReason] = useState('');
  const [to, setTo] = useState('');
  const [openWork, setOpenWork] = useState<{ schoolId: string; milestone: string }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const candidates = props.others.filter((o) => o.contractor.active && o.contractor.kind === c.kind && o.contractor.id !== c.id);

  async function confirm() {
    setError(null);
    if (reason.trim().length < 3) return setError(t('error.reason'));
    if (openWork && !to) return setError(t('contractors.chooseReassign'));
    setBusy(true);
    try {
      const result = await regionApi.deactivateContractor(
        c.id,
        { reason, reassign: [], ...(to ? { reassignRestTo: to } : {}) },
        props.view.version,
      );
      props.onDone(result.reassigned.length);
    } catch (e) {
      const work = e instanceof ApiError && e.status === 409 ? openWorkOf(e) : [];
      if (work.length > 0) setOpenWork(work);
      else setError(errorText(e, i18n));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card deactivate-panel" aria-labelledby="deactivate-h">
      <h2 id="deactivate-h">{t('contractors.deactivateTitle', { name: c.name })}</h2>
      <InputField id="deactivate-reason" label={t('contractors.reason')} value={reason} onValue={setReason} required maxLength={2000} />
      {openWork && (
        <div class="alert alert-error" data-testid="open-work">
          <p>{t('contractors.openWork', { n: openWork.length })}</p>
          <ul>
            {openWork.map((w) => (
              <li key={`${w.schoolId}/${w.milestone}`}>
                <a href={`#/school/${encodeURIComponent(w.schoolId)}`}>{w.schoolId}</a> — {milestoneTitle(w.milestone, lang)}
              </li>
            ))}
          </ul>
          <SelectField
            id="deactivate-to"
            label={t('contractors.reassignTo')}
            value={to}
            onValue={setTo}
            options={[
              { value: '', label: t('users.choose') },
              ...candidates.map((o) => ({ value: o.contractor.id, label: `${o.contractor.name} (${o.contractor.id})` })),
            ]}
          />
        </div>
      )}
      <ConfirmPanel
        id="confirm-deactivate"
        question={openWork ? t('contractors.confirmWithReassign') : t('contractors.confirmDeactivate', { name: c.name })}
        yes={openWork ? t('contractors.deactivateAndReassign') : t('contractors.deactivate')}
        danger
        busy={busy}
        error={error}
        onYes={() => void confirm()}
        onCancel={props.onCancel}
      />
    </section>
  );
}
