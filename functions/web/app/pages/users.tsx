/**
 * Users: the people who sign in, their role and scope, and whether they may; an invitation form; disable
 * and re-enable with a confirmation. Program managers manage everyone; a district coordinator sees the
 * coordinators and school staff of its district and invites school staff of its district only. The page
 * checks with the same rules the API applies (`Invitation`, `authorizeUserAction`), and the API checks
 * again: its field errors are shown at their field.
 */
import { useRef, useState } from 'preact/hooks';
import type { FieldError, Me } from '../../../../shared/api/schemas.js';
import { authorizeUserAction, type ManagedUser, type UserAction } from '../../../../shared/domain/user-permissions.js';
import { Role, type Actor } from '../../../../shared/program/model.js';
import { Invitation, ROLE_SCOPE, type DirectoryUser, type InvitedUser } from '../../../../shared/users/model.js';
import { allSchools, api, ApiError } from '../api.js';
import { useI18n, type I18n } from '../i18n.js';
import { districtName, sortedDistricts } from '../program.js';
import { AsyncView, ColumnHeads, ConfirmPanel, errorText, focusFirstError, InputField, PageTitle, SelectField, useAsync } from '../ui.js';
import { zodFieldErrors, type FieldErrors } from '../validation.js';

/** Who may open the page: program managers and district coordinators. */
export function usersAllowed(me: Me): boolean {
  return me.role === 'program-manager' || (me.role === 'district-coordinator' && me.district !== null);
}

/** The signed-in user as the permission rules see them (only the roles that manage users). */
function actorOf(me: Me): Actor | null {
  if (me.role === 'program-manager') return { role: me.role, sub: me.sub };
  if (me.role === 'district-coordinator' && me.district) return { role: me.role, sub: me.sub, district: me.district };
  return null;
}

/**
 * A listed user as the rules see them. The API lists to a coordinator only the school staff of its own
 * district's schools, so their school's district is the coordinator's.
 */
function managedOf(me: Me, user: DirectoryUser): ManagedUser {
  return {
    role: user.role,
    district: user.district,
    schoolDistrict: user.role === 'school-staff' && me.role === 'district-coordinator' ? me.district : null,
    username: user.username,
  };
}

function may(me: Me, action: UserAction, user: ManagedUser): boolean {
  const actor = actorOf(me);
  return actor !== null && authorizeUserAction(actor, action, user) === null;
}

/** The roles the signed-in user may invite. */
function invitableRoles(me: Me): Role[] {
  return Role.options.filter((role) => may(me, 'invite', { role, district: me.district, schoolDistrict: me.district }));
}

type Confirming = { user: DirectoryUser; action: 'disable' | 'enable' };

export function UsersPage({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const list = useAsync(() => api.users(), [me.sub]);
  const [notice, setNotice] = useState<{ text: string; password?: string } | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);

  const intro =
    me.role === 'district-coordinator'
      ? t('users.intro.coordinator', { district: districtName(me.district, lang) })
      : t('users.intro.manager');
  return (
    <>
      <PageTitle title={t('users.title')}>{t('users.title')}</PageTitle>
      <p class="lead">{intro}</p>
      <div class="status-line" role="status" aria-live="polite">
        {notice && (
          <div class="alert alert-success" data-testid="users-notice">
            <p>{notice.text}</p>
            {notice.password && <p>{t('users.temporaryPassword', { password: notice.password })}</p>}
          </div>
        )}
      </div>
      <div class="users-layout">
        <section aria-labelledby="users-list-h" class="users-main">
          <h2 id="users-list-h">{t('users.list')}</h2>
          {confirming && (
            <ConfirmUserAction
              confirming={confirming}
              onCancel={() => setConfirming(null)}
              onDone={(user) => {
                setConfirming(null);
                setNotice({ text: t(`users.done.${confirming.action}`, { name: user.name ?? user.email }) });
                list.reload();
              }}
            />
          )}
          <AsyncView value={list}>
            {(data) => (
              <UserTable
                me={me}
                users={data.items}
                onAction={(user, action) => {
                  setNotice(null);
                  setConfirming({ user, action });
                }}
              />
            )}
          </AsyncView>
        </section>
        <aside class="users-side">
          <InviteForm
            me={me}
            onInvited={(invited) => {
              setNotice({
                text: t('users.invited', { email: invited.user.email }),
                ...(invited.temporaryPassword ? { password: invited.temporaryPassword } : {}),
              });
              list.reload();
            }}
          />
        </aside>
      </div>
    </>
  );
}

function statusOf(user: DirectoryUser): 'disabled' | DirectoryUser['status'] {
  return user.enabled ? user.status : 'disabled';
}

function scopeText(user: DirectoryUser, i18n: I18n): string {
  if (user.district) return districtName(user.district, i18n.lang);
  return user.org ?? user.school ?? i18n.t('none');
}

function UserTable({
  me,
  users,
  onAction,
}: {
  me: Me;
  users: DirectoryUser[];
  onAction: (user: DirectoryUser, action: 'disable' | 'enable') => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  if (users.length === 0) return <p class="empty">{t('users.empty')}</p>;
  return (
    <div class="table-wrap">
      <table class="data-table users-table">
        <caption class="visually-hidden">{t('users.list')}</caption>
        <ColumnHeads
          labels={[t('users.name'), t('users.email'), t('users.role'), t('users.scope'), t('users.status'), t('users.actions')]}
        />
        <tbody>
          {users.map((u) => {
            const status = statusOf(u);
            const action = u.enabled ? 'disable' : 'enable';
            return (
              <tr key={u.username} data-email={u.email} data-status={status}>
                <th scope="row">{u.name ?? u.email}</th>
                <td>{u.email}</td>
                <td>{u.role ? i18n.role(u.role) : t('users.noRole')}</td>
                <td>{scopeText(u, i18n)}</td>
                <td>
                  <span class={`badge badge-user-${status}`}>{t(`users.status.${status}`)}</span>
                </td>
                <td>
                  {may(me, action, managedOf(me, u)) && (
                    <button
                      type="button"
                      class="btn btn-secondary btn-small"
                      onClick={() => onAction(u, action)}
                      aria-label={`${t(`users.${action}`)}: ${u.name ?? u.email}`}
                    >
                      {t(`users.${action}`)}
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

/** The confirmation of a disable or enable: nothing is sent until the user says yes. */
function ConfirmUserAction({
  confirming,
  onCancel,
  onDone,
}: {
  confirming: Confirming;
  onCancel: () => void;
  onDone: (user: DirectoryUser) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const { user, action } = confirming;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      onDone(await api.setUserEnabled(user.username, action === 'enable'));
    } catch (e) {
      setError(errorText(e, i18n));
    } finally {
      setBusy(false);
    }
  }

  return (
    <ConfirmPanel
      id="confirm-user"
      question={t(action === 'disable' ? 'users.confirmDisable' : 'users.confirmEnable', { name: user.name ?? user.email })}
      yes={t(`users.confirmYes.${action}`)}
      danger={action === 'disable'}
      busy={busy}
      error={error}
      onYes={() => void confirm()}
      onCancel={onCancel}
    />
  );
}

interface InviteValues {
  name: string;
  email: string;
  role: Role | '';
  district: string;
  org: string;
  schoolDistrict: string;
  school: string;
}

/** The request body of the form's values: only the scope the role needs is sent. */
function invitationOf(v: InviteValues): Record<string, unknown> {
  const body: Record<string, unknown> = { name: v.name, email: v.email, role: v.role || undefined };
  const scope = v.role ? ROLE_SCOPE[v.role] : null;
  if (scope) body[scope] = v[scope].trim() || undefined;
  return body;
}

/** The API's field errors in the page's words where it has them, at the form's field names. */
function apiErrors(errors: readonly FieldError[], i18n: I18n): FieldErrors {
  const { t } = i18n;
  const out: FieldErrors = {};
  for (const e of errors) {
    const field = e.field.replace(/^body\./, '');
    const known: [RegExp, Parameters<I18n['t']>[0]][] = [
      [/already a user/, 'users.error.exists'],
      [/^no school/, 'users.error.noSchool'],
      [/^no contractor/, 'users.error.noOrg'],
      [/^no district/, 'users.error.noDistrict'],
    ];
    const key = known.find(([re]) => re.test(e.reason))?.[1];
    out[field] ??= key ? t(key) : e.reason;
  }
  return out;
}

function InviteForm({ me, onInvited }: { me: Me; onInvited: (invited: InvitedUser) => void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const roles = invitableRoles(me);
  const coordinator = me.role === 'district-coordinator';
  const empty: InviteValues = {
    name: '',
    email: '',
    role: roles.length === 1 ? roles[0]! : '',
    district: '',
    org: '',
    schoolDistrict: coordinator ? (me.district ?? '') : '',
    school: '',
  };
  const [values, setValues] = useState<InviteValues>(empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const scope = values.role ? ROLE_SCOPE[values.role] : null;
  const schools = useAsync(
    () => (scope === 'school' && values.schoolDistrict ? allSchools({ district: values.schoolDistrict }) : Promise.resolve([])),
    [scope, values.schoolDistrict],
  );

  const set =
    <K extends keyof InviteValues>(field: K) =>
    (v: string) =>
      setValues((old) => ({ ...old, [field]: v, ...(field === 'schoolDistrict' ? { school: '' } : {}) }));
  const fieldProps = (field: keyof InviteValues) => ({
    id: `invite-${field}`,
    value: values[field],
    onValue: set(field),
    error: errors[field],
  });
  const choose = { value: '', label: t('users.choose') };
  const districtOptions = [choose, ...sortedDistricts(lang).map((d) => ({ value: d.id, label: districtName(d.id, lang) }))];

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    const parsed = Invitation.safeParse(invitationOf(values));
    if (!parsed.success) {
      const found = zodFieldErrors(parsed.error, i18n);
      // The role's missing scope ("a contractor needs a org") is a required field.
      for (const issue of parsed.error.issues)
        if (issue.code === 'custom' && /needs/.test(issue.message)) found[String(issue.path[0])] = t('error.required');
      // An empty text field is missing, whatever format it would have needed.
      for (const field of ['name', 'email', 'role'] as const)
        if (found[field] && values[field].trim() === '') found[field] = t('error.required');
      setErrors(found);
      setFormError(t('form.fixErrors'));
      focusFirstError(formRef.current);
      return;
    }
    const invitation = parsed.data;
    const actor = actorOf(me);
    if (
      !actor ||
      authorizeUserAction(actor, 'invite', {
        role: invitation.role,
        district: invitation.district ?? null,
        schoolDistrict: values.schoolDistrict || null,
      }) !== null
    ) {
      setErrors({});
      setFormError(t('users.error.scope'));
      focusFirstError(formRef.current);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const invited = await api.invite(invitation);
      setValues(empty);
      onInvited(invited);
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length > 0) {
        setErrors(apiErrors(err.fieldErrors, i18n));
        setFormError(t('form.fixErrors'));
      } else {
        setFormError(errorText(err, i18n));
      }
      focusFirstError(formRef.current);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} class="card invite-form" onSubmit={submit} noValidate aria-labelledby="invite-h">
      <h2 id="invite-h">{t('users.invite')}</h2>
      {formError && (
        <div class="alert alert-error form-error" role="alert" tabIndex={-1}>
          <p>{formError}</p>
        </div>
      )}
      <InputField {...fieldProps('name')} label={t('users.field.name')} required maxLength={200} autoComplete="off" />
      <InputField {...fieldProps('email')} label={t('users.field.email')} required maxLength={254} autoComplete="off" />
      <SelectField
        {...fieldProps('role')}
        label={t('users.field.role')}
        hint={coordinator ? t('users.roleOnlyStaff') : undefined}
        options={[...(roles.length > 1 ? [choose] : []), ...roles.map((r) => ({ value: r, label: i18n.role(r) }))]}
      />
      {scope === 'district' && <SelectField {...fieldProps('district')} label={t('users.field.district')} options={districtOptions} />}
      {scope === 'org' && (
        <InputField
          {...fieldProps('org')}
          label={t('users.field.org')}
          hint={t('users.field.orgHint')}
          required
          maxLength={64}
          autoComplete="off"
        />
      )}
      {scope === 'school' && (
        <>
          <SelectField
            {...fieldProps('schoolDistrict')}
            label={t('users.field.schoolDistrict')}
            disabled={coordinator}
            options={coordinator ? districtOptions.filter((o) => o.value === me.district) : districtOptions}
          />
          <SelectField
            {...fieldProps('school')}
            label={t('users.field.school')}
            disabled={!values.schoolDistrict || schools.loading}
            options={[choose, ...(schools.data ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.locality})` }))]}
          />
          {schools.error !== undefined && <p class="field-error">{errorText(schools.error, i18n)}</p>}
        </>
      )}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy} aria-busy={busy}>
          {t('users.inviteSubmit')}
        </button>
      </div>
    </form>
  );
}
