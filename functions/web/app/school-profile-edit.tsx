/**
 * Editing a school's profile on its page: name, district, urban or rural, planned kit, teacher and pupil
 * counts, equipment cohort year. The page sends only what changed, checked with the API's own schema
 * (`SchoolProfilePatch`), with If-Match at the version it read: when someone else changed the school in
 * between, it says so and shows the school as it is now. A change that moves deadlines re-plans the open
 * milestones, and the timeline shows the new dates. Program managers also archive a school that closed
 * or merged into another (after a confirmation).
 */
import { useState } from 'preact/hooks';
import { SchoolProfilePatch, type ProfileResult } from '../../../shared/api/administration.js';
import type { Me, SchoolDetail } from '../../../shared/api/schemas.js';
import { KitItem, SchoolArchive, type School } from '../../../shared/program/model.js';
import { allSchools, ApiError } from './api.js';
import { regionApi } from './api-region.js';
import { useI18n } from './i18n.js';
import { districtName, milestoneTitle, sortedDistricts } from './program.js';
import { FormButtons, FormError, useFormState } from './form-state.js';
import { ConfirmPanel, errorText, InputField, SelectField, useAsync } from './ui.js';
import { apiFieldErrors, zodFieldErrors, type FieldErrors } from './validation.js';

const COHORTS = [2021, 2022, 2023, 2024];

/** Program managers edit every school, a coordinator those of its district; an archived school no more. */
export function mayEditProfile(me: Me, school: School): boolean {
  if (school.archived) return false;
  return me.role === 'program-manager' || (me.role === 'district-coordinator' && me.district === school.district);
}

type Values = Record<string, string>;

/** Someone else changed the school since the page read it (If-Match no longer holds). */
const isConflict = (err: unknown) => err instanceof ApiError && (err.status === 409 || err.status === 412);

function valuesOf(s: School): Values {
  const v: Values = {
    name: s.name,
    district: s.district,
    urban: String(s.urban),
    cohortYear: String(s.cohortYear),
    teachersToTrain: String(s.teachersToTrain),
    students: s.students === undefined ? '' : String(s.students),
  };
  for (const item of KitItem.options) v[`plannedKit.${item}`] = s.plannedKit[item] === undefined ? '' : String(s.plannedKit[item]);
  return v;
}

const num = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));

/** Only the fields whose value the form changed. */
function patchOf(before: Values, v: Values): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const changed = (k: string) => before[k] !== v[k];
  if (changed('name')) patch.name = v.name;
  if (changed('district')) patch.district = v.district;
  if (changed('urban')) patch.urban = v.urban === 'true';
  for (const k of ['cohortYear', 'teachersToTrain'] as const) if (changed(k)) patch[k] = num(v[k]!);
  if (changed('students')) patch.students = v.students!.trim() === '' ? null : num(v.students!);
  if (KitItem.options.some((item) => changed(`plannedKit.${item}`))) {
    const kit: Record<string, number | undefined> = {};
    for (const item of KitItem.options) {
      const n = num(v[`plannedKit.${item}`]!);
      if (n !== undefined) kit[item] = n;
    }
    patch.plannedKit = kit;
  }
  return patch;
}

type Open = 'edit' | 'archive' | null;

/** The profile's tools under the profile card: edit, and (managers) archive. */
export function SchoolProfileTools({ me, detail, onChanged }: { me: Me; detail: SchoolDetail; onChanged: (message: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [open, setOpen] = useState<Open>(null);
  if (!mayEditProfile(me, detail.school)) {
    return detail.school.archived ? (
      <p class="alert alert-info" data-testid="archived">
        {t('profile.archivedOn', { date: i18n.date(detail.school.archived.on) })}
      </p>
    ) : null;
  }
  const toggle = (which: Exclude<Open, null>) => setOpen(open === which ? null : which);
  const done = (message: string) => {
    setOpen(null);
    onChanged(message);
  };
  return (
    <div class="profile-tools">
      <div class="actions">
        <button type="button" class="btn btn-secondary" aria-expanded={open === 'edit'} onClick={() => toggle('edit')}>
          {t('profile.edit')}
        </button>
        {me.role === 'program-manager' && (
          <button type="button" class="btn btn-secondary" aria-expanded={open === 'archive'} onClick={() => toggle('archive')}>
            {t('profile.archive')}
          </button>
        )}
      </div>
      {open === 'edit' && <ProfileForm detail={detail} onCancel={() => setOpen(null)} onDone={done} />}
      {open === 'archive' && <ArchiveForm detail={detail} onCancel={() => setOpen(null)} onDone={done} />}
    </div>
  );
}

function ProfileForm({ detail, onDone, onCancel }: { detail: SchoolDetail; onDone: (message: string) => void; onCancel: () => void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const before = valuesOf(detail.school);
  const [values, setValues] = useState<Values>(before);
  const { formRef, errors, formError, busy, refuse, send } = useFormState();
  const field = (name: string) => ({
    id: `profile-${name.replace('.', '-')}`,
    value: values[name] ?? '',
    onValue: (v: string) => setValues((old) => ({ ...old, [name]: v })),
    error: errors[name],
  });

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const parsed = SchoolProfilePatch.safeParse(patchOf(before, values));
    if (!parsed.success) {
      const found = zodFieldErrors(parsed.error, i18n);
      // The schema's one whole-body rule: at least one field changes.
      return found[''] !== undefined ? refuse({}, t('profile.nothingChanged')) : refuse(found);
    }
    await send(async () => onDone(savedMessage(await regionApi.editSchool(detail.school.id, parsed.data, detail.version), i18n)), {
      fields: (errors) => apiFieldErrors(errors, i18n),
      other: (err) => (isConflict(err) ? (onDone(t('profile.changedElsewhere')), null) : undefined),
    });
  }

  return (
    <form ref={formRef} class="card profile-form" onSubmit={submit} noValidate aria-labelledby="profile-form-h">
      <h3 id="profile-form-h">{t('profile.edit')}</h3>
      <FormError message={formError} />
      <InputField {...field('name')} label={t('profile.name')} required maxLength={300} />
      <SelectField
        {...field('district')}
        label={t('school.district')}
        options={sortedDistricts(lang).map((d) => ({ value: d.id, label: districtName(d.id, lang) }))}
      />
      <SelectField
        {...field('urban')}
        label={t('school.area')}
        options={[
          { value: 'true', label: t('school.urban') },
          { value: 'false', label: t('school.rural') },
        ]}
      />
      <SelectField
        {...field('cohortYear')}
        label={t('school.cohort')}
        options={COHORTS.map((y) => ({ value: String(y), label: String(y) }))}
      />
      <InputField {...field('teachersToTrain')} type="number" inputMode="numeric" label={t('school.teachers')} required />
      <InputField {...field('students')} type="number" inputMode="numeric" label={t('school.students')} />
      <fieldset>
        <legend>{t('school.kit')}</legend>
        {KitItem.options.map((item) => (
          <InputField key={item} {...field(`plannedKit.${item}`)} type="number" inputMode="numeric" label={i18n.kit(item)} />
        ))}
      </fieldset>
      <FormButtons label={t('profile.save')} busy={busy} onCancel={onCancel} />
    </form>
  );
}

function savedMessage(result: ProfileResult, i18n: ReturnType<typeof useI18n>): string {
  const { t, lang } = i18n;
  const moved = result.milestones.map((m) => `${milestoneTitle(m.key, lang)}: ${i18n.date(m.deadline)}`);
  return moved.length > 0 ? `${t('profile.saved')} ${t('profile.replanned', { list: moved.join('; ') })}` : t('profile.saved');
}

function today(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Omsk', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function ArchiveForm({ detail, onDone, onCancel }: { detail: SchoolDetail; onDone: (message: string) => void; onCancel: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const school = detail.school;
  const [values, setValues] = useState<Values>({ on: today(), reason: 'closed', mergedInto: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const neighbours = useAsync(
    () => (values.reason === 'merged' ? allSchools({ district: school.district }) : Promise.resolve([])),
    [values.reason, school.district],
  );
  const field = (name: string) => ({
    id: `archive-${name}`,
    value: values[name] ?? '',
    onValue: (v: string) => setValues((old) => ({ ...old, [name]: v })),
    error: errors[name],
  });
  const body = () => ({
    on: values.on,
    reason: values.reason,
    ...(values.reason === 'merged' ? { mergedInto: values.mergedInto || undefined } : {}),
  });

  function check(e: Event) {
    e.preventDefault();
    const parsed = SchoolArchive.safeParse(body());
    if (!parsed.success) {
      setErrors(zodFieldErrors(parsed.error, i18n));
      return;
    }
    setErrors({});
    setConfirming(true);
  }

  async function archive() {
    setBusy(true);
    setError(null);
    try {
      await regionApi.archiveSchool(school.id, SchoolArchive.parse(body()), detail.version);
      onDone(t('profile.archived'));
    } catch (err) {
      if (isConflict(err)) onDone(t('profile.changedElsewhere'));
      else setError(errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card archive-form" onSubmit={check} noValidate aria-labelledby="archive-form-h">
      <h3 id="archive-form-h">{t('profile.archive')}</h3>
      <p class="hint">{t('profile.archiveHint')}</p>
      <InputField {...field('on')} type="date" label={t('profile.archiveOn')} required />
      <SelectField
        {...field('reason')}
        label={t('profile.archiveReason')}
        options={[
          { value: 'closed', label: t('profile.reason.closed') },
          { value: 'merged', label: t('profile.reason.merged') },
        ]}
      />
      {values.reason === 'merged' && (
        <SelectField
          {...field('mergedInto')}
          label={t('profile.mergedInto')}
          disabled={neighbours.loading}
          options={[
            { value: '', label: t('users.choose') },
            ...(neighbours.data ?? []).filter((s) => s.id !== school.id && !s.archived).map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
      )}
      {confirming ? (
        <ConfirmPanel
          id="confirm-archive"
          question={t('profile.confirmArchive', { name: school.name })}
          yes={t('profile.archiveYes')}
          danger
          busy={busy}
          error={error}
          onYes={() => void archive()}
          onCancel={() => setConfirming(false)}
        />
      ) : (
        <FormButtons label={t('profile.archive')} busy={false} danger onCancel={onCancel} />
      )}
    </form>
  );
}
