/**
 * Delivery channel details that are easy to get wrong: who receives an e-mail (the user pool's
 * verified, enabled users of the recipient's group and scope), SNS subject rules, and the configuration
 * read from the environment.
 */
import type { CognitoIdentityProviderClient, UserType } from '@aws-sdk/client-cognito-identity-provider';
import type { ListUsersInGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import {
  channelConfigFromEnv,
  plainText,
  recipientAttributes,
  snsSubject,
  UserDirectoryRecipients,
} from '../../functions/notifications/channels.js';

function user(email: string, attrs: Record<string, string> = {}, enabled = true): UserType {
  return {
    Username: email,
    Enabled: enabled,
    Attributes: Object.entries({ email, email_verified: 'true', ...attrs }).map(([Name, Value]) => ({ Name, Value })),
  };
}

/** A user pool of a few users per group, answered in pages of two like ListUsersInGroup does. */
function directory(groups: Record<string, UserType[]>) {
  const calls: string[] = [];
  const client = {
    async send(command: ListUsersInGroupCommand) {
      const { GroupName, NextToken, UserPoolId } = command.input;
      expect(UserPoolId).toBe('eu-central-1_Pool1');
      calls.push(`${GroupName}:${NextToken ?? ''}`);
      const all = groups[GroupName!] ?? [];
      const from = Number(NextToken ?? 0);
      return { Users: all.slice(from, from + 2), NextToken: from + 2 < all.length ? String(from + 2) : undefined };
    },
  } as unknown as CognitoIdentityProviderClient;
  return { recipients: new UserDirectoryRecipients(client, 'eu-central-1_Pool1'), calls };
}

describe('e-mail recipients from the user pool', () => {
  const pool = {
    contractor: [
      user('a@isp.ru', { 'custom:org': 'isp' }),
      user('b@other.ru', { 'custom:org': 'other' }),
      user('c@isp.ru', { 'custom:org': 'isp' }, false),
    ],
    'district-coordinator': [
      user('tara@omsk.ru', { 'custom:district': 'tara' }),
      user('TARA2@omsk.ru', { 'custom:district': 'tara' }),
      user('unverified@omsk.ru', { 'custom:district': 'tara', email_verified: 'false' }),
      user('isil@omsk.ru', { 'custom:district': 'isilkul' }),
    ],
    'program-manager': [user('pm@omsk.ru')],
  };

  it('are the enabled, verified users of the group within the recipient scope', async () => {
    const { recipients } = directory(pool);
    expect(await recipients.addresses({ type: 'contractor', org: 'isp' })).toEqual(['a@isp.ru']);
    expect(await recipients.addresses({ type: 'district-coordinator', district: 'tara' })).toEqual(['tara2@omsk.ru', 'tara@omsk.ru']);
    expect(await recipients.addresses({ type: 'program-manager' })).toEqual(['pm@omsk.ru']);
    expect(await recipients.addresses({ type: 'district-coordinator', district: 'nobody-here' })).toEqual([]);
  });

  it('are read page by page and cached per group', async () => {
    const { recipients, calls } = directory(pool);
    await recipients.addresses({ type: 'district-coordinator', district: 'tara' });
    await recipients.addresses({ type: 'district-coordinator', district: 'isilkul' });
    expect(calls).toEqual(['district-coordinator:', 'district-coordinator:2']);
  });
});

describe('message details', () => {
  it('SNS subjects are ASCII, single-line and under 100 characters', () => {
    expect(snsSubject('Reminder: connection\nof school 7')).toBe('Reminder: connection of school 7');
    expect(snsSubject('Напоминание')).toBe('???????????');
    const long = snsSubject('x'.repeat(150));
    expect(long).toHaveLength(99);
    expect(long.endsWith('...')).toBe(true);
    expect(snsSubject('   ')).toBe('Notification');
  });

  it('recipient attributes name the scope for subscription filter policies', () => {
    expect(recipientAttributes({ type: 'contractor', org: 'isp' })).toEqual({ recipientType: 'contractor', org: 'isp' });
    expect(recipientAttributes({ type: 'district-coordinator', district: 'tara' })).toEqual({
      recipientType: 'district-coordinator',
      district: 'tara',
    });
    expect(recipientAttributes({ type: 'program-manager' })).toEqual({ recipientType: 'program-manager' });
  });

  it('the text has Russian first and English below', () => {
    expect(plainText({ body: { ru: 'Срок завтра', en: 'Due tomorrow' } })).toBe('Срок завтра\n\n— English —\nDue tomorrow\n');
  });
});

describe('channel configuration', () => {
  it('is read from NOTIFY_CHANNEL and what that channel needs', () => {
    expect(channelConfigFromEnv({ NOTIFY_CHANNEL: 'log' })).toEqual({ NOTIFY_CHANNEL: 'log' });
    expect(channelConfigFromEnv({ NOTIFY_CHANNEL: 'sns', NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-central-1:1:t' })).toMatchObject({
      NOTIFY_CHANNEL: 'sns',
    });
    expect(() => channelConfigFromEnv({ NOTIFY_CHANNEL: 'sns' })).toThrow(/NOTIFY_TOPIC_ARN/);
    expect(() => channelConfigFromEnv({ NOTIFY_CHANNEL: 'ses', SES_FROM_ADDRESS: 'noreply@example.org' })).toThrow(/USER_POOL_ID/);
    expect(() => channelConfigFromEnv({})).toThrow(/NOTIFY_CHANNEL/);
  });
});
