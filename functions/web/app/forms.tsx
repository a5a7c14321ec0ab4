/**
 * The forms of the milestone actions. Each one is checked in the page with the API's own zod schema
 * (`CommandBody[action]`) before it is sent, and the API checks it again: errors from either side are
 * shown next to their field.
 */
import { useRef, useState } from 'preact/hooks';
import type { CommandResult, Me, MilestoneView } from '../../../shared/api/schemas.js';
import { requiredBandwidthMbps } from '../../../shared/domain/evidence.js';
import { ALLOWED_FROM } from '../../../shared/domain/decider.js';
import { authorize } from '../../../shared/domain/permissions.js';
import {
  CommandBody,
  CommandType,
  KitItem,
  type Actor,
  type EvidenceKind,
  type MilestoneDefinition,
  type MilestoneState,
  type School,
} from '../../../shared/program/model.js';
import { api, ApiError } from './api.js';
import { DocumentUploads, documentRules } from './documents.js';
import { useI18n } from './i18n.js';
import { evidenceKindOf, milestoneDefinition } from './program.js';
import { errorText, focusFirstError, InputField, TextAreaField } from './ui.js';
import { apiFieldErrors, joinPath, zodFieldErrors, type FieldErrors } from './validation.js';

/** The signed-in user as the domain's permission rules see them. */
function actorOf(me: Me): Actor | null {
  switch (me.role) {
    case 'program-manager':
    case 'viewer':
      return { role: me.role, sub: me.sub };
    case 'district-coordinator':
      return me.district ? { role: me.role, sub: me.sub, district: me.district } : null;
    case 'contractor':
      return me.org ? { role: me.role, sub: me.sub, org: me.org } : null;
    case 'school-staff':
      return me.school ? { role: me.role, sub: me.sub, school: me.school } : null;
  }
}

/**
 * The actions the signed-in user may take on this milestone now: the domain's own rules (the statuses
 * each command applies in, and who may do what). The API decides again on every request.
 */
export function availableActions(me: Me, school: School, milestone: MilestoneState): FormAction[] {
  const actor = actorOf(me);
  const def = milestoneDefinition(milestone.key);
  if (!actor || !def) return [];
  return FORM_ACTIONS.filter(
    (c) => ALLOWED_FROM[c].includes(milestone.status) && authorize(actor, c, school, milestone, def) === null && turnOf(c, def, milestone),
  );
}

/** The commands a person sends from a form (`replan` follows from a profile change). */
export type FormAction = Exclude<CommandType, 'replan'>;
const FORM_ACTIONS = CommandType.options.filter((c): c is FormAction => c !== 'replan');

/** Sign-offs come in the program's order, and acceptance after the last of them. */
function turnOf(action: FormAction, def: MilestoneDefinition, milestone: MilestoneState): boolean {
  if (action === 'accept') return milestone.signOffs.length >= def.signOffs.length;
  if (action === 'signoff') return milestone.signOffs.length < def.signOffs.length;
  return true;
}

type Values = Record<string, string>;

const num = (v: string | undefined): number | undefined => (v === undefined || v.trim() === '' ? undefined : Number(v));
const text = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

/** The kit rows an equipment form shows: the planned items first, then the rest. */
function kitRows(school: School): KitItem[] {
  const planned = KitItem.options.filter((k) => (school.plannedKit[k] ?? 0) > 0);
  return [...planned, ...KitItem.options.filter((k) => !planned.includes(k))];
}

function evidenceOf(kind: EvidenceKind, v: Values, school: School): { evidence: Record<string, unknown>; items: KitItem[] } {
  const act = { actNumber: text(v['evidence.actNumber']), actDate: text(v['evidence.actDate']) };
  switch (kind) {
    case 'connection':
      return { evidence: { kind, ...act, bandwidthMbps: num(v['evidence.bandwidthMbps']) }, items: [] };
    case 'training':
      return { evidence: { kind, ...act, teachersTrained: num(v['evidence.teachersTrained']) }, items: [] };
    case 'onboarding':
      return {
        evidence: {
          kind,
          ...act,
          teacherAccounts: num(v['evidence.teacherAccounts']),
          studentAccounts: num(v['evidence.studentAccounts']),
        },
        items: [],
      };
    case 'content-filter':
      return {
        evidence: {
          kind,
          filterName: text(v['evidence.filterName']),
          registryEntry: text(v['evidence.registryEntry']),
          enabledOn: text(v['evidence.enabledOn']),
        },
        items: [],
      };
    case 'equipment': {
      const items = kitRows(school).filter((k) => text(v[`evidence.items.${k}`]) !== undefined);
      return { evidence: { kind, ...act, items: items.map((item) => ({ item, quantity: num(v[`evidence.items.${item}`]) })) }, items };
    }
  }
}

function bodyOf(action: FormAction, v: Values, school: School, milestoneKey: string): { body: unknown; items: KitItem[] } {
  switch (action) {
    case 'start':
      return { body: { assignee: text(v.assignee) }, items: [] };
    case 'submit': {
      const kind = evidenceKindOf(milestoneKey);
      if (!kind) throw new Error(`unknown milestone ${milestoneKey}`);
      const { evidence, items } = evidenceOf(kind, v, school);
      return { body: { evidence }, items };
    }
    case 'accept':
    case 'resume':
      return { body: { note: text(v.note) }, items: [] };
    case 'reject':
    case 'hold':
    case 'waive':
      return { body: { reason: v.reason ?? '' }, items: [] };
    case 'reassign':
      return { body: { contractor: text(v.contractor), reason: text(v.reason) }, items: [] };
    case 'reschedule':
      return { body: { deadline: text(v.deadline), reason: v.reason ?? '' }, items: [] };
    case 'signoff':
      return { body: { measuredMbps: num(v.measuredMbps), note: text(v.note) }, items: [] };
  }
}

export interface ActionFormProps {
  school: School;
  milestone: Pick<MilestoneView, 'key' | 'version' | 'status' | 'deadline'>;
  action: FormAction;
  /** Prefix of the field ids, unique on the page. */
  idPrefix: string;
  onDone: (result: CommandResult) => void;
  onCancel: () => void;
}

export function ActionForm({ school, milestone, action, idPrefix, onDone, onCancel }: ActionFormProps) {
  const i18n = useI18n();
  const { t } = i18n;
  const [values, setValues] = useState<Values>(action === 'reschedule' ? { deadline: milestone.deadline } : {});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  /** Submit: the required documents not attached yet (the button waits for them). */
  const [missingDocuments, setMissingDocuments] = useState<readonly unknown[]>([]);
  const formRef = useRef<HTMLFormElement>(null);

  const id = (field: string) => `${idPrefix}-${field.replace(/\./g, '-')}`;
  const set = (field: string) => (v: string) => setValues((old) => ({ ...old, [field]: v }));
  const fieldProps = (field: string) => ({ id: id(field), value: values[field] ?? '', onValue: set(field), error: errors[field] });

  /** Field errors that no field of this form shows go to the form-level message. */
  const shownFields = new Set<string>();
  const track = <T extends { id: string }>(field: string, props: T): T => {
    shownFields.add(field);
    return props;
  };

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    setConflict(false);
    const { body, items } = bodyOf(action, values, school, milestone.key);
    const parsed = CommandBody[action].safeParse(body);
    if (!parsed.success) {
      // `evidence.items.<index>.quantity` is shown at the row of that kit item.
      setErrors(
        zodFieldErrors(parsed.error, i18n, (path) =>
          path[0] === 'evidence' && path[1] === 'items' && typeof path[2] === 'number'
            ? `evidence.items.${items[path[2]] ?? ''}`
            : joinPath(path),
        ),
      );
      setFormError(t('form.fixErrors'));
      focusFirstError(formRef.current);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const result = await api.command(school.id, milestone.key, action, parsed.data, milestone.version);
      onDone(result);
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length > 0) {
        const fieldErrors = apiFieldErrors(err.fieldErrors, i18n, school);
        setErrors(fieldErrors);
        const unshown = Object.entries(fieldErrors).filter(([f]) => !shownFields.has(f));
        setFormError(unshown.length ? unshown.map(([f, m]) => `${f}: ${m}`).join(' ') : t('form.fixErrors'));
      } else if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
        setConflict(true);
        setFormError(t('form.conflict'));
      } else {
        setFormError(errorText(err, i18n));
      }
      focusFirstError(formRef.current);
    } finally {
      setBusy(false);
    }
  }

  const kind = action === 'submit' ? evidenceKindOf(milestone.key) : undefined;
  if (kind) for (const rule of documentRules(milestone.key)) shownFields.add(`documents.${rule.type}`);
  /** A bandwidth in Mbit/s, with the school's standard as its hint (the contractor's act, the school's own measurement). */
  const bandwidthField = (field: string, label: string) => (
    <InputField
      {...track(field, fieldProps(field))}
      label={label}
      hint={t('evidence.bandwidthHint', { min: requiredBandwidthMbps(school), area: t(school.urban ? 'school.urban' : 'school.rural') })}
      required
      type="number"
      inputMode="decimal"
      min={0}
      step="any"
    />
  );
  return (
    <form ref={formRef} class="action-form" onSubmit={submit} noValidate aria-labelledby={`${idPrefix}-title`} data-action={action}>
      <h4 id={`${idPrefix}-title`} class="form-title">
        {i18n.action(action)}
      </h4>
      {formError && (
        <div class="alert alert-error form-error" role="alert" tabIndex={-1}>
          <p>{formError}</p>
          {conflict && (
            <button type="button" class="btn btn-secondary" onClick={() => location.reload()}>
              {t('form.reload')}
            </button>
          )}
        </div>
      )}

      {kind && (
        <>
          {kind === 'content-filter' ? (
            <div class="field-row">
              <InputField
                {...track('evidence.filterName', fieldProps('evidence.filterName'))}
                label={t('evidence.filterName')}
                required
                maxLength={200}
                autoComplete="off"
              />
              <InputField
                {...track('evidence.registryEntry', fieldProps('evidence.registryEntry'))}
                label={t('evidence.registryEntry')}
                required
                maxLength={64}
                autoComplete="off"
              />
              <InputField
                {...track('evidence.enabledOn', fieldProps('evidence.enabledOn'))}
                label={t('evidence.enabledOn')}
                required
                type="date"
              />
            </div>
          ) : (
            <div class="field-row">
              <InputField
                {...track('evidence.actNumber', fieldProps('evidence.actNumber'))}
                label={t('evidence.actNumber')}
                required
                maxLength={64}
                autoComplete="off"
              />
              <InputField
                {...track('evidence.actDate', fieldProps('evidence.actDate'))}
                label={t('evidence.actDate')}
                required
                type="date"
              />
            </div>
          )}
          {kind === 'connection' && bandwidthField('evidence.bandwidthMbps', t('evidence.bandwidthMbps'))}
          {kind === 'training' && (
            <InputField
              {...track('evidence.teachersTrained', fieldProps('evidence.teachersTrained'))}
              label={t('evidence.teachersTrained')}
              hint={t('evidence.teachersHint', { n: school.teachersToTrain })}
              required
              type="number"
              inputMode="numeric"
              min={0}
              step={1}
            />
          )}
          {kind === 'onboarding' && (
            <div class="field-row">
              <InputField
                {...track('evidence.teacherAccounts', fieldProps('evidence.teacherAccounts'))}
                label={t('evidence.teacherAccounts')}
                required
                type="number"
                min={0}
                step={1}
              />
              <InputField
                {...track('evidence.studentAccounts', fieldProps('evidence.studentAccounts'))}
                label={t('evidence.studentAccounts')}
                required
                type="number"
                min={0}
                step={1}
              />
            </div>
          )}
          {kind === 'equipment' && (
            <fieldset class="kit">
              <legend>{t('evidence.items')}</legend>
              <p class="hint">{t('evidence.itemsHint')}</p>
              {shownFields.add('evidence.items') && errors['evidence.items'] && (
                <p class="field-error" id={id('evidence.items')} role="alert">
                  {errors['evidence.items']}
                </p>
              )}
              <div class="kit-grid">
                {kitRows(school).map((item) => (
                  <InputField
                    key={item}
                    {...track(`evidence.items.${item}`, fieldProps(`evidence.items.${item}`))}
                    label={`${i18n.kit(item)} (${t('evidence.planned', { n: school.plannedKit[item] ?? 0 })})`}
                    type="number"
                    min={0}
                    step={1}
                  />
                ))}
              </div>
            </fieldset>
          )}
        </>
      )}

      {kind && (
        <DocumentUploads
          schoolId={school.id}
          milestone={milestone.key}
          idPrefix={idPrefix}
          errors={errors}
          onMissing={setMissingDocuments}
        />
      )}

      {action === 'start' && (
        <InputField
          {...track('assignee', fieldProps('assignee'))}
          label={t('field.assignee')}
          hint={t('field.assigneeHint')}
          autoComplete="off"
        />
      )}
      {action === 'reassign' && (
        <>
          <InputField {...track('contractor', fieldProps('contractor'))} label={t('field.contractor')} required autoComplete="off" />
          <TextAreaField {...track('reason', fieldProps('reason'))} label={t('field.reason')} maxLength={2000} />
        </>
      )}
      {action === 'reschedule' && (
        <InputField {...track('deadline', fieldProps('deadline'))} label={t('field.deadline')} required type="date" />
      )}
      {(action === 'reject' || action === 'hold' || action === 'waive' || action === 'reschedule') && (
        <TextAreaField {...track('reason', fieldProps('reason'))} label={t('field.reason')} required maxLength={2000} />
      )}
      {action === 'signoff' && evidenceKindOf(milestone.key) === 'connection' && bandwidthField('measuredMbps', t('field.measuredMbps'))}
      {(action === 'accept' || action === 'resume' || action === 'signoff') && (
        <TextAreaField {...track('note', fieldProps('note'))} label={t('field.note')} maxLength={2000} />
      )}

      <div class="form-actions">
        <button
          type="submit"
          class={`btn ${action === 'reject' || action === 'waive' ? 'btn-danger' : 'btn-primary'}`}
          disabled={busy || (action === 'submit' && missingDocuments.length > 0)}
          aria-busy={busy}
        >
          {action === 'submit' || action === 'accept' || action === 'reject' || action === 'signoff'
            ? i18n.action(action)
            : t('form.submit')}
        </button>
        <button type="button" class="btn btn-secondary" onClick={onCancel} disabled={busy}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
