/**
 * One action on one milestone of the schools selected in the list, as a bulk job: reassign to another
 * contractor, waive, or move the deadline. The body is checked with the single-school command's own
 * schema before it is sent; the job's progress and every school's outcome are shown as it runs.
 */
import { useState } from 'preact/hooks';
import type { Job, Me } from '../../../shared/api/schemas.js';
import { CommandBody } from '../../../shared/program/model.js';
import { followJob, regionApi } from './api-region.js';
import { useI18n } from './i18n.js';
import { JobView } from './pages/imports.js';
import { allMilestones, milestoneTitle } from './program.js';
import { FormError, useFormState } from './form-state.js';
import { InputField, SelectField } from './ui.js';
import { apiFieldErrors, zodFieldErrors } from './validation.js';

export const BULK_ACTIONS = ['reassign', 'waive', 'reschedule'] as const;
type BulkAction = (typeof BULK_ACTIONS)[number];

export function mayBulk(me: Me): boolean {
  return me.role === 'program-manager' || me.role === 'district-coordinator';
}

function bodyOf(action: BulkAction, v: Record<string, string>): Record<string, unknown> {
  const text = (k: string) => (v[k]?.trim() ? v[k] : undefined);
  switch (action) {
    case 'reassign':
      return { contractor: text('contractor'), reason: text('reason') };
    case 'waive':
      return { reason: v.reason ?? '' };
    case 'reschedule':
      return { deadline: text('deadline'), reason: v.reason ?? '' };
  }
}

export function BulkPanel({ selected, onDone }: { selected: readonly string[]; onDone: () => void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [action, setAction] = useState<BulkAction>('reassign');
  const [milestone, setMilestone] = useState(allMilestones()[0]!.key);
  const [values, setValues] = useState<Record<string, string>>({});
  const [job, setJob] = useState<Job | null>(null);
  const { formRef, errors, formError, busy, refuse, send } = useFormState();
  const field = (name: string) => ({
    id: `bulk-${name}`,
    value: values[name] ?? '',
    onValue: (v: string) => setValues((old) => ({ ...old, [name]: v })),
    error: errors[name],
  });

  async function submit(e: Event) {
    e.preventDefault();
    if (busy || selected.length === 0) return;
    const parsed = CommandBody[action].safeParse(bodyOf(action, values));
    if (!parsed.success) return refuse(zodFieldErrors(parsed.error, i18n));
    await send(
      async () => {
        const queued = await regionApi.bulk(action, milestone, { schoolIds: [...selected] }, parsed.data);
        setJob(queued);
        await followJob(queued.id, setJob);
        onDone();
      },
      // The command's own body is `body` of the bulk request.
      {
        fields: (errors) =>
          apiFieldErrors(
            errors.map((f) => ({ ...f, field: f.field.replace(/^body\.body\./, '') })),
            i18n,
          ),
      },
    );
  }

  return (
    <form ref={formRef} class="card bulk-panel" onSubmit={submit} noValidate aria-labelledby="bulk-h">
      <h2 id="bulk-h">{t('bulk.title', { n: selected.length })}</h2>
      <FormError message={formError} />
      <SelectField
        id="bulk-action"
        label={t('bulk.action')}
        value={action}
        onValue={(v) => setAction(v as BulkAction)}
        options={BULK_ACTIONS.map((a) => ({ value: a, label: i18n.action(a) }))}
      />
      <SelectField
        id="bulk-milestone"
        label={t('schools.milestone')}
        value={milestone}
        onValue={setMilestone}
        options={allMilestones().map((m) => ({ value: m.key, label: milestoneTitle(m.key, lang) }))}
      />
      {action === 'reassign' && <InputField {...field('contractor')} label={t('bulk.contractor')} required maxLength={64} />}
      {action === 'reschedule' && <InputField {...field('deadline')} type="date" label={t('school.deadline')} required />}
      <InputField {...field('reason')} label={t('bulk.reason')} required={action !== 'reassign'} maxLength={2000} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || selected.length === 0} aria-busy={busy}>
          {t('bulk.run', { n: selected.length })}
        </button>
      </div>
      {job && <JobView job={job} i18n={i18n} />}
    </form>
  );
}
