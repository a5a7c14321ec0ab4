/**
 * The user-directory code path (Cognito's admin API) against the local emulator, no mocks: a pool made
 * from the synthesized template, invitations with the scope attributes and the role group, listing by
 * role, lookups, disabling and enabling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionLocalDirectory, type LocalDirectory } from '../../infra/local/directory.js';
import { synthTemplate } from '../../infra/local/synth.js';
import { Role } from '../../shared/program/model.js';
import { createUserDirectory, UserExistsError, type UserDirectory } from '../../shared/users/directory.js';
import { cognitoEndpoint } from '../support/directory.js';

let local: LocalDirectory;
let directory: UserDirectory;

beforeAll(async () => {
  local = await provisionLocalDirectory({ endpoint: cognitoEndpoint(), template: synthTemplate(), callbackUrls: ['http://127.0.0.1:1/'] });
  directory = createUserDirectory({ client: local.client, userPoolId: local.userPoolId, invitations: 'return' });
});
afterAll(() => local?.client.destroy());

describe('the user directory', () => {
  it('has one group per role and the scope attributes, from the template', async () => {
    for (const role of Role.options) expect(await directory.list(role)).toEqual([]);
  });

  it('invites with the scope attribute and the role group, and finds the user by name and e-mail', async () => {
    const invited = await directory.invite({ name: 'Анна', email: 'anna@example.org', role: 'district-coordinator', district: 'tarsky' });
    expect(invited.temporaryPassword).toMatch(/[a-z]/);
    expect(invited.temporaryPassword).toMatch(/[A-Z]/);
    expect(invited.temporaryPassword).toMatch(/[0-9]/);
    expect(invited.user).toMatchObject({
      email: 'anna@example.org',
      name: 'Анна',
      role: 'district-coordinator',
      district: 'tarsky',
      org: null,
      school: null,
      enabled: true,
      status: 'invited',
    });
    expect(await directory.get(invited.user.username)).toEqual(invited.user);
    expect(await directory.findByEmail('anna@example.org')).toEqual(invited.user);
    await directory.invite({ name: 'Школа', email: 'school@example.org', role: 'school-staff', school: 'school-1' });
    expect((await directory.list('school-staff')).map((u) => [u.email, u.school])).toEqual([['school@example.org', 'school-1']]);
    expect((await directory.list()).map((u) => u.email).sort()).toEqual(['anna@example.org', 'school@example.org']);
    await expect(directory.invite({ name: 'Анна', email: 'anna@example.org', role: 'viewer' })).rejects.toBeInstanceOf(UserExistsError);
  });

  it('disables and enables; an unknown user is reported as such', async () => {
    const user = (await directory.findByEmail('anna@example.org'))!;
    expect(await directory.setEnabled(user.username, false)).toBe(true);
    expect((await directory.get(user.username))!.enabled).toBe(false);
    expect(await directory.setEnabled(user.username, true)).toBe(true);
    expect((await directory.get(user.username))!.enabled).toBe(true);
    expect(await directory.setEnabled('no-such-user', false)).toBe(false);
    expect(await directory.get('no-such-user')).toBeNull();
  });
});
