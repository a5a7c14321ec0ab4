/**
 * The user directory: Cognito's admin API (users, one group per role, the scope attributes), the one
 * code path in AWS and locally, where the SDK reaches the local emulator through
 * `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`.
 *
 * Invitations either let the directory deliver the temporary password (Cognito's invitation e-mail) or,
 * with `invitations: 'return'`, make it here and hand it back once to whoever invited (the local
 * system, which sends no e-mail).
 */
import { randomInt } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UserNotFoundException,
  UsernameExistsException,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { Role } from '../program/model.js';
import { CUSTOM_ATTRIBUTES, SCOPE_ATTRIBUTE, type DirectoryUser, type Invitation, type UserStatus } from './model.js';

export type InvitationDelivery = 'email' | 'return';

export interface UserDirectoryOptions {
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  /** Default 'email': the directory sends the invitation with the temporary password. */
  invitations?: InvitationDelivery;
}

export interface InviteResult {
  user: DirectoryUser;
  /** Only with `invitations: 'return'`: shown once to the person who invited. */
  temporaryPassword?: string;
}

export class UserExistsError extends Error {
  constructor(readonly email: string) {
    super(`a user with the e-mail ${email} exists`);
  }
}

export interface UserDirectory {
  invite(invitation: Invitation): Promise<InviteResult>;
  /** Every user of one role (each role is a group), or of all roles. */
  list(role?: Role): Promise<DirectoryUser[]>;
  get(username: string): Promise<DirectoryUser | null>;
  findByEmail(email: string): Promise<DirectoryUser | null>;
  /** False when there is no such user. */
  setEnabled(username: string, enabled: boolean): Promise<boolean>;
}

export function createUserDirectory(options: UserDirectoryOptions): UserDirectory {
  const { client, userPoolId } = options;
  const invitations = options.invitations ?? 'email';

  async function groupMembers(role: Role): Promise<DirectoryUser[]> {
    const users: DirectoryUser[] = [];
    let next: string | undefined;
    do {
      const page = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: role, Limit: 60, NextToken: next }));
      users.push(...(page.Users ?? []).map((u) => toUser(u, role)));
      next = page.NextToken;
    } while (next);
    return users;
  }

  async function roleOf(username: string): Promise<Role | null> {
    const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username, Limit: 60 }));
    const names = (groups.Groups ?? []).map((g) => g.GroupName);
    return Role.options.find((r) => names.includes(r)) ?? null;
  }

  const directory: UserDirectory = {
    async invite(invitation) {
      const temporaryPassword = invitations === 'return' ? newTemporaryPassword() : undefined;
      const attributes: AttributeType[] = [
        { Name: 'email', Value: invitation.email },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: invitation.name },
        ...CUSTOM_ATTRIBUTES.flatMap((scope) => (invitation[scope] ? [{ Name: SCOPE_ATTRIBUTE[scope], Value: invitation[scope] }] : [])),
      ];
      let created: UserType;
      try {
        const answer = await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: invitation.email,
            UserAttributes: attributes,
            DesiredDeliveryMediums: ['EMAIL'],
            ...(temporaryPassword ? { TemporaryPassword: temporaryPassword, MessageAction: 'SUPPRESS' } : {}),
          }),
        );
        created = answer.User!;
      } catch (error) {
        if (error instanceof UsernameExistsException) throw new UserExistsError(invitation.email);
        throw error;
      }
      const username = created.Username!;
      try {
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: invitation.role }));
      } catch (error) {
        // A user in no group can do nothing; remove it so that the invitation can simply be repeated.
        await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username })).catch(() => undefined);
        throw error;
      }
      return { user: toUser(created, invitation.role), ...(temporaryPassword ? { temporaryPassword } : {}) };
    },

    async list(role) {
      const roles = role ? [role] : Role.options;
      const lists = await Promise.all(roles.map(groupMembers));
      // A user in several groups acts with the first role of Role.options (the most powerful): list it once.
      const seen = new Set<string>();
      return lists.flat().filter((u) => !seen.has(u.username) && seen.add(u.username));
    },

    async get(username) {
      try {
        const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
        return toUser({ ...user, Attributes: user.UserAttributes }, await roleOf(user.Username!));
      } catch (error) {
        if (error instanceof UserNotFoundException) return null;
        throw error;
      }
    },

    async findByEmail(email) {
      const page = await client.send(
        new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email.replace(/["\\]/g, '')}"`, Limit: 2 }),
      );
      const found = page.Users?.[0];
      return found ? toUser(found, await roleOf(found.Username!)) : null;
    },

    async setEnabled(username, enabled) {
      try {
        await client.send(
          enabled
            ? new AdminEnableUserCommand({ UserPoolId: userPoolId, Username: username })
            : new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: username }),
        );
        return true;
      } catch (error) {
        if (error instanceof UserNotFoundException) return false;
        throw error;
      }
    },
  };
  return directory;
}

function toUser(user: UserType, role: Role | null): DirectoryUser {
  const attr = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value ?? null;
  return {
    username: user.Username!,
    email: attr('email') ?? '',
    name: attr('name'),
    role,
    district: attr(SCOPE_ATTRIBUTE.district),
    org: attr(SCOPE_ATTRIBUTE.org),
    school: attr(SCOPE_ATTRIBUTE.school),
    enabled: user.Enabled !== false,
    status: statusOf(user.UserStatus),
    createdAt: user.UserCreateDate ? user.UserCreateDate.toISOString() : null,
  };
}

function statusOf(status: string | undefined): UserStatus {
  if (status === 'FORCE_CHANGE_PASSWORD') return 'invited';
  if (status === 'CONFIRMED') return 'active';
  return 'other';
}

const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!#%+-=?@';

/** 16 characters with every class a password policy asks for (lower, upper, digit, symbol). */
export function newTemporaryPassword(): string {
  const pick = (set: string) => set[randomInt(set.length)]!;
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS), ...Array.from({ length: 12 }, () => pick(all))];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
