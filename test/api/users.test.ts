/**
 * The users routes over HTTP, against the local user directory and DynamoDB Local: who may invite, see,
 * disable and enable whom (a coordinator only school staff of its own district), that every change is
 * audited and that a refused request writes nothing, and that invited users sign in with their
 * temporary password, set their own, and are shut out when disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../../shared/api/schemas.js';
import { DirectoryUser, InvitedUser, UserDetail, UserList } from '../../shared/users/model.js';
import { signInThroughPages } from '../support/sign-in.js';
import { CALLERS, startApi, type ApiFixture, type Caller } from './helpers.js';

let api: ApiFixture;
let ownSchool: string;
let otherSchool: string;

beforeAll(async () => {
  api = await startApi('users');
  ownSchool = api.school.id;
  const others = (await api.stack.store.listSchoolsByDistrict(api.otherDistrict, { limit: 1 })).items;
  otherSchool = others[0]!.id;
});
afterAll(async () => {
  await api?.stop();
});

let n = 0;
const email = (label: string) => `${label}-${++n}@example.org`;
const staffOf = (school: string, label = 'staff') => ({ name: 'Мария Школьная', email: email(label), role: 'school-staff', school });

async function invite(body: unknown, as: Caller = 'manager') {
  return api.request('POST', '/api/users', { as, body });
}

describe('inviting', () => {
  it('by a program manager: every role with its scope, a temporary password shown once, an audit event', async () => {
    const cases = [
      { name: 'Анна Координатор', email: email('coordinator'), role: 'district-coordinator', district: api.school.district },
      { name: 'Иван Подрядчик', email: email('contractor'), role: 'contractor', org: api.contractorOrg },
      staffOf(ownSchool),
      { name: 'Пётр Наблюдатель', email: email('viewer'), role: 'viewer' },
      { name: 'Ольга Руководитель', email: email('manager'), role: 'program-manager' },
    ];
    for (const body of cases) {
      const res = await invite(body);
      expect(res.status, res.text).toBe(201);
      const invited = InvitedUser.parse(res.json);
      expect(invited.user).toMatchObject({ email: body.email, name: body.name, role: body.role, enabled: true, status: 'invited' });
      expect(invited.temporaryPassword).toMatch(/^.{16}$/);
      const detail = UserDetail.parse((await api.request('GET', `/api/users/${invited.user.username}`)).json);
      expect(detail.history.map((e) => e.type)).toEqual(['user-invited']);
      expect(detail.history[0]!.actor.role).toBe('program-manager');
    }
  });

  it('lower-cases the e-mail and refuses a second user with it (409), writing nothing', async () => {
    const address = email('twice');
    expect((await invite({ name: 'Дважды', email: address.toUpperCase(), role: 'viewer' })).status).toBe(201);
    const before = await api.items();
    const again = await invite({ name: 'Дважды', email: address, role: 'viewer' });
    expect(again.status).toBe(409);
    expect(Problem.parse(again.json).errors).toEqual([{ field: 'body.email', reason: 'already a user' }]);
    expect(await api.items()).toEqual(before);
  });

  it('refuses bad input with the field and the reason, and writes nothing', async () => {
    const before = await api.items();
    const cases: [unknown, string][] = [
      [{ name: 'X', email: 'not-an-email', role: 'viewer' }, 'body.email'],
      [{ name: 'X', email: email('bad'), role: 'district-coordinator' }, 'body.district'],
      [{ name: 'X', email: email('bad'), role: 'viewer', org: api.contractorOrg }, 'body.org'],
      [{ name: 'X', email: email('bad'), role: 'district-coordinator', district: 'atlantis' }, 'body.district'],
      [{ name: 'X', email: email('bad'), role: 'contractor', org: 'no-such-org' }, 'body.org'],
      [{ name: 'X', email: email('bad'), role: 'school-staff', school: 'no-such-school' }, 'body.school'],
      [{ name: 'X', email: email('bad'), role: 'admin' }, 'body.role'],
    ];
    for (const [body, field] of cases) {
      const res = await invite(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(Problem.parse(res.json).errors?.map((e) => e.field)).toContain(field);
    }
    expect(await api.items()).toEqual(before);
  });

  it('by a district coordinator: school staff of its own district only; everyone else refused (403), nothing written', async () => {
    expect((await invite(staffOf(ownSchool), 'coordinator')).status).toBe(201);
    const before = await api.items();
    const refused: [unknown, Caller][] = [
      [staffOf(otherSchool), 'coordinator'],
      [staffOf(ownSchool), 'otherCoordinator'],
      [{ name: 'X', email: email('c'), role: 'district-coordinator', district: api.school.district }, 'coordinator'],
      [{ name: 'X', email: email('v'), role: 'viewer' }, 'coordinator'],
      [staffOf(ownSchool), 'contractor'],
      [staffOf(ownSchool), 'viewer'],
    ];
    for (const [body, as] of refused) expect((await invite(body, as)).status, `${as} ${JSON.stringify(body)}`).toBe(403);
    for (const as of ['none', 'expired', 'foreignKey'] as const) expect((await invite(staffOf(ownSchool), as)).status).toBe(401);
    expect(await api.items()).toEqual(before);
  });
});

describe('listing', () => {
  it('a program manager sees everyone; a coordinator only its district; others are refused', async () => {
    const own = InvitedUser.parse((await invite(staffOf(ownSchool, 'own'))).json).user;
    const foreign = InvitedUser.parse((await invite(staffOf(otherSchool, 'foreign'))).json).user;
    const contractor = InvitedUser.parse(
      (await invite({ name: 'Подрядчик', email: email('org'), role: 'contractor', org: api.contractorOrg })).json,
    ).user;

    const all = UserList.parse((await api.request('GET', '/api/users')).json).items.map((u) => u.username);
    expect(all).toEqual(expect.arrayContaining([own.username, foreign.username, contractor.username]));

    const mine = UserList.parse((await api.request('GET', '/api/users', { as: 'coordinator' })).json).items;
    expect(mine.map((u) => u.username)).toContain(own.username);
    expect(mine.map((u) => u.username)).not.toContain(foreign.username);
    expect(mine.map((u) => u.username)).not.toContain(contractor.username);
    expect(
      mine.every(
        (u) =>
          (u.role === 'school-staff' && u.school !== null) || (u.role === 'district-coordinator' && u.district === api.school.district),
      ),
    ).toBe(true);

    const staffOnly = UserList.parse((await api.request('GET', '/api/users?role=school-staff')).json).items;
    expect(staffOnly.length).toBeGreaterThan(0);
    expect(staffOnly.every((u) => u.role === 'school-staff')).toBe(true);

    expect((await api.request('GET', `/api/users/${foreign.username}`, { as: 'coordinator' })).status).toBe(403);
    expect((await api.request('GET', `/api/users/${own.username}`, { as: 'coordinator' })).status).toBe(200);
    const expected: Record<Caller, number> = {
      manager: 200,
      coordinator: 200,
      otherCoordinator: 200,
      contractor: 403,
      otherContractor: 403,
      viewer: 403,
      schoolStaff: 403,
      otherSchoolStaff: 403,
      none: 401,
      expired: 401,
      foreignKey: 401,
    };
    for (const as of CALLERS) expect((await api.request('GET', '/api/users', { as })).status, as).toBe(expected[as]);
    expect((await api.request('GET', '/api/users/no-such-user')).status).toBe(404);
  });
});

describe('disabling and enabling', () => {
  it('shuts the user out of sign-in and lets them back; each change audited once; the matrix of who may', async () => {
    const invited = InvitedUser.parse((await invite(staffOf(ownSchool, 'door'))).json);
    const { username } = invited.user;
    // First sign-in: the temporary password, then the user's own.
    const token = await signInThroughPages(api.stack.url, invited.user.email, invited.temporaryPassword!, {
      newPassword: 'Own-password-123!',
    });
    expect((await api.request('GET', '/api/me', { token })).status).toBe(200);

    for (const as of ['otherCoordinator', 'contractor', 'viewer'] as const) {
      expect((await api.request('POST', `/api/users/${username}/disable`, { as })).status, as).toBe(403);
    }
    const disabled = await api.request('POST', `/api/users/${username}/disable`, { as: 'coordinator' });
    expect(disabled.status).toBe(200);
    expect(DirectoryUser.parse(disabled.json).enabled).toBe(false);
    await expect(signInThroughPages(api.stack.url, invited.user.email, 'Own-password-123!')).rejects.toThrow(/disabled/);
    // Disabling again changes nothing and is not audited again.
    expect((await api.request('POST', `/api/users/${username}/disable`)).status).toBe(200);

    expect((await api.request('POST', `/api/users/${username}/enable`)).status).toBe(200);
    expect(await signInThroughPages(api.stack.url, invited.user.email, 'Own-password-123!')).toMatch(/^ey/);
    const history = UserDetail.parse((await api.request('GET', `/api/users/${username}`)).json).history;
    expect(history.map((e) => [e.type, e.actor.role])).toEqual([
      ['user-invited', 'program-manager'],
      ['user-disabled', 'district-coordinator'],
      ['user-enabled', 'program-manager'],
    ]);
  });

  it('a program manager cannot disable itself (409), and nobody can act on an unknown user (404)', async () => {
    const me = (await api.request('GET', '/api/me')).json as { sub: string };
    const res = await api.request('POST', `/api/users/${me.sub}/disable`);
    expect(res.status).toBe(409);
    expect((await api.request('POST', '/api/users/nobody-here/enable')).status).toBe(404);
  });
});
