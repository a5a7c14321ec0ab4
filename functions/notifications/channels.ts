/**
 * Delivery channels for notifications. Which one a function uses is configuration, not code
 * (DESIGN.md principle 2): `NOTIFY_CHANNEL` is `ses` or `sns` in the template, and the local stack
 * overrides it with `log`.
 *
 * - `ses`: one e-mail per recipient address, from `SES_FROM_ADDRESS`; the addresses are the verified
 *   e-mails of the enabled users of the user pool (`USER_POOL_ID`) in the recipient's group — contractors
 *   of the organization (`custom:org`), coordinators of the district (`custom:district`), every program
 *   manager, every viewer (the weekly digest).
 * - `sns`: one message to `NOTIFY_TOPIC_ARN` with the recipient in message attributes (`recipientType`,
 *   `org`, `district`), so subscribers filter with a subscription filter policy.
 * - `log`: one structured log line (locally the dashboard shows the outbox itself).
 *
 * Every channel records each destination it reaches in the notification's ledger (DeliveryLedger).
 */
import { CognitoIdentityProviderClient, ListUsersInGroupCommand, type UserType } from '@aws-sdk/client-cognito-identity-provider';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { LocalizedText, Notification } from '../../shared/program/model.js';

export type Recipient = Notification['recipient'];

/** What a channel sends: a notification from the outbox, or a digest. */
export interface OutgoingMessage {
  /** Stable id (the notification id); logged and sent along for tracing. */
  readonly id: string;
  readonly recipient: Recipient;
  readonly subject: LocalizedText;
  readonly body: LocalizedText;
  /** Extra routing attributes (kind, level, school, milestone); non-empty strings. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** `sent`, or `no-recipient` when the directory has nobody to send it to (nothing to retry). */
export type SendOutcome = 'sent' | 'no-recipient';

/**
 * Where a notification has gone so far, kept with the notification: a channel sends to each
 * destination (an e-mail address, the topic, the log) it has not reached yet and records it right
 * after, before trying the next, so that a retry or the daily re-drive reaches only those left.
 */
export interface DeliveryLedger {
  readonly reached: ReadonlySet<string>;
  /**
   * `last`: every other destination has it already (reached before, or in this attempt), so the same
   * write may mark the notification delivered; a channel says so only for the last destination it
   * reaches with no failure before it.
   */
  record(destination: string, options?: { last?: boolean }): Promise<void>;
}

export interface DeliveryChannel {
  readonly name: 'ses' | 'sns' | 'log' | 'mailbox';
  /** Throws a DeliveryError, after trying every destination left, when some could not be reached. */
  send(message: OutgoingMessage, ledger: DeliveryLedger): Promise<SendOutcome>;
}

/** Some destinations refused the message or could not be reached; the others have it and are recorded. */
export class DeliveryError extends Error {
  constructor(readonly failures: readonly { destination: string; reason: string }[]) {
    super(`${failures.length} destination(s) not reached: ${failures.map((f) => `${f.destination} (${f.reason})`).join('; ')}`);
    this.name = 'DeliveryError';
  }
}

/** Sends to each destination not reached yet, recording each as it goes; then reports the ones that failed. */
async function sendToEach(
  destinations: readonly string[],
  ledger: DeliveryLedger,
  send: (destination: string) => Promise<unknown>,
): Promise<void> {
  const failures: { destination: string; reason: string }[] = [];
  const left = destinations.filter((destination) => !ledger.reached.has(destination));
  for (const [i, destination] of left.entries()) {
    try {
      await send(destination);
    } catch (error) {
      failures.push({ destination, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      continue;
    }
    // Not caught: a destination that got the message but could not be recorded must stop this attempt.
    await ledger.record(destination, { last: i === left.length - 1 && failures.length === 0 });
  }
  if (failures.length > 0) throw new DeliveryError(failures);
}

/** The part of the Powertools Logger a channel uses. */
export interface ChannelLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export const ChannelConfig = z.discriminatedUnion('NOTIFY_CHANNEL', [
  z.object({ NOTIFY_CHANNEL: z.literal('log') }),
  z.object({ NOTIFY_CHANNEL: z.literal('sns'), NOTIFY_TOPIC_ARN: z.string().regex(/^arn:[\w-]+:sns:/, 'an SNS topic ARN') }),
  z.object({
    NOTIFY_CHANNEL: z.literal('ses'),
    SES_FROM_ADDRESS: z.email(),
    USER_POOL_ID: z.string().regex(/^[\w-]+_[0-9A-Za-z]+$/, 'a Cognito user pool id'),
  }),
]);
export type ChannelConfig = z.infer<typeof ChannelConfig>;

export function channelConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ChannelConfig {
  const parsed = ChannelConfig.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Delivery channel configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'NOTIFY_CHANNEL'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export function createChannel(config: ChannelConfig, logger: ChannelLogger): DeliveryChannel {
  switch (config.NOTIFY_CHANNEL) {
    case 'log':
      return new LogChannel(logger);
    case 'sns':
      return new SnsChannel(new SNSClient({}), config.NOTIFY_TOPIC_ARN);
    case 'ses':
      return new SesChannel(
        new SESv2Client({}),
        config.SES_FROM_ADDRESS,
        new UserDirectoryRecipients(new CognitoIdentityProviderClient({}), config.USER_POOL_ID),
        logger,
      );
  }
}

/** Russian first (the users' language), English below. */
export function plainText(message: Pick<OutgoingMessage, 'body'>): string {
  return `${message.body.ru}\n\n— English —\n${message.body.en}\n`;
}

class LogChannel implements DeliveryChannel {
  readonly name = 'log';
  constructor(private readonly logger: ChannelLogger) {}
  async send(message: OutgoingMessage, ledger: DeliveryLedger): Promise<SendOutcome> {
    await sendToEach(['log'], ledger, async () =>
      this.logger.info('notification delivered to the log', {
        notificationId: message.id,
        recipient: message.recipient,
        subject: message.subject,
        body: message.body,
        attributes: message.attributes,
      }),
    );
    return 'sent';
  }
}

export function recipientAttributes(recipient: Recipient): Record<string, string> {
  switch (recipient.type) {
    case 'contractor':
      return { recipientType: recipient.type, org: recipient.org };
    case 'district-coordinator':
      return { recipientType: recipient.type, district: recipient.district };
    case 'program-manager':
    case 'viewer':
      return { recipientType: recipient.type };
  }
}

class SnsChannel implements DeliveryChannel {
  readonly name = 'sns';
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(message: OutgoingMessage, ledger: DeliveryLedger): Promise<SendOutcome> {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries({
      ...message.attributes,
      ...recipientAttributes(message.recipient),
      notificationId: message.id,
    })) {
      if (value) attributes[name] = { DataType: 'String', StringValue: value };
    }
    await sendToEach([this.topicArn], ledger, () =>
      this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          // SNS subjects must be ASCII, without line breaks, under 100 characters: the English subject.
          Subject: snsSubject(message.subject.en),
          Message: `${message.subject.ru}\n\n${plainText(message)}`,
          MessageAttributes: attributes,
        }),
      ),
    );
    return 'sent';
  }
}

export function snsSubject(text: string): string {
  const ascii = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return (ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii) || 'Notification';
}

/** E-mail addresses of the people a recipient stands for. */
export interface RecipientDirectory {
  addresses(recipient: Recipient): Promise<string[]>;
}

/** Users of the Cognito pool: the recipient's group, narrowed by `custom:org` / `custom:district`. */
export class UserDirectoryRecipients implements RecipientDirectory {
  readonly #groups = new Map<string, { users: UserType[]; until: number }>();

  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly cacheMs = 5 * 60_000,
  ) {}

  async addresses(recipient: Recipient): Promise<string[]> {
    const users = await this.#group(recipient.type);
    const wanted = (user: UserType) => {
      const attr = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
      if (user.Enabled === false || attr('email_verified') !== 'true' || !attr('email')) return false;
      if (recipient.type === 'contractor') return attr('custom:org') === recipient.org;
      if (recipient.type === 'district-coordinator') return attr('custom:district') === recipient.district;
      return true;
    };
    const emails = users.filter(wanted).map((u) => u.Attributes!.find((a) => a.Name === 'email')!.Value!.toLowerCase());
    return [...new Set(emails)].sort();
  }

  async #group(groupName: string): Promise<UserType[]> {
    const cached = this.#groups.get(groupName);
    if (cached && cached.until > Date.now()) return cached.users;
    const users: UserType[] = [];
    let next: string | undefined;
    do {
      const page = await this.client.send(
        new ListUsersInGroupCommand({ UserPoolId: this.userPoolId, GroupName: groupName, Limit: 60, NextToken: next }),
      );
      users.push(...(page.Users ?? []));
      next = page.NextToken;
    } while (next);
    this.#groups.set(groupName, { users, until: Date.now() + this.cacheMs });
    return users;
  }
}

export class SesChannel implements DeliveryChannel {
  readonly name = 'ses';
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly directory: RecipientDirectory,
    private readonly logger: ChannelLogger,
  ) {}

  async send(message: OutgoingMessage, ledger: DeliveryLedger): Promise<SendOutcome> {
    const to = await this.directory.addresses(message.recipient);
    if (to.length === 0) {
      this.logger.warn('nobody to e-mail this notification to', { notificationId: message.id, recipient: message.recipient });
      return 'no-recipient';
    }
    // One message per address: recipients of different organizations never see each other, and one
    // address that refuses it does not hold back (nor, on the retry, repeat it to) the others.
    await sendToEach(to, ledger, (address) =>
      this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [address] },
          Content: {
            Simple: {
              Subject: { Data: message.subject.ru, Charset: 'UTF-8' },
              Body: { Text: { Data: plainText(message), Charset: 'UTF-8' } },
              Headers: [{ Name: 'X-Cos-Notification-Id', Value: message.id }],
            },
          },
        }),
      ),
    );
    return 'sent';
  }
}
