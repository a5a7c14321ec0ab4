/**
 * The local mailbox: a delivery channel (functions/notifications/channels.ts) that stands for the
 * people's mail and SMS when the system runs on one machine. Every message that reaches it is one line
 * of a JSON-lines file; what the recipients see (`inbox`) is each (notification, destination) once.
 *
 * Why the mailbox de-duplicates. The dispatcher records each destination a notification reached right
 * after sending to it (DeliveryLedger). A crash between the send and the record sends it again on the
 * retry: at least once, never zero times. The other order, recording a claim before sending, would turn
 * that window into a message lost for good, which the outbox exists to prevent. So the dispatcher keeps
 * at-least-once, and exactly-once is the receiving end's business: the mailbox keeps the notification's
 * id (the deterministic outbox id, sent along as `X-Cos-Notification-Id` by the SES channel) and
 * drops a message it already holds, as a mail client threads a re-sent Message-ID. SES itself would
 * deliver the copy; the window is one DynamoDB write wide.
 *
 * Every arrival is kept, the copies marked `duplicate`, so a test can see that re-sends happened and
 * that none reached the inbox. A line is one `write` of less than a page, so a killed process leaves
 * whole lines (a torn last line, should a power loss make one, is skipped on reading).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { DeliveryChannel, DeliveryLedger, OutgoingMessage, Recipient, SendOutcome } from '../../functions/notifications/channels.js';

/** The local mailbox's file in a data folder of `npm start`. */
export const MAILBOX_FILE = 'notifications.jsonl';

export interface MailboxLine {
  /** The notification's id. */
  id: string;
  /** Who it went to: `contractor:<org>`, `district-coordinator:<district>` or `program-manager`. */
  destination: string;
  recipient: Recipient;
  subject: OutgoingMessage['subject'];
  attributes: OutgoingMessage['attributes'];
  /** The system's clock when it arrived (virtual in a simulation). */
  receivedAt: string;
  /** A copy of a message the mailbox already had: not shown in the inbox. */
  duplicate: boolean;
}

export function destinationOf(recipient: Recipient): string {
  switch (recipient.type) {
    case 'contractor':
      return `contractor:${recipient.org}`;
    case 'district-coordinator':
      return `district-coordinator:${recipient.district}`;
    case 'program-manager':
      return 'program-manager';
    case 'viewer':
      return 'viewer';
  }
}

/** Every line of a mailbox file, in arrival order (none when there is no file yet). */
export function readMailbox(file: string): MailboxLine[] {
  if (!existsSync(file)) return [];
  const lines: MailboxLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    try {
      lines.push(JSON.parse(text) as MailboxLine);
    } catch {
      // A torn last line: the message was never acknowledged, so its sender sends it again.
    }
  }
  return lines;
}

export class Mailbox implements DeliveryChannel {
  readonly name = 'mailbox';
  readonly #seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    for (const line of readMailbox(file)) this.#seen.add(`${line.id}\n${line.destination}`);
  }

  async send(message: OutgoingMessage, ledger: DeliveryLedger): Promise<SendOutcome> {
    const destination = destinationOf(message.recipient);
    if (ledger.reached.has(destination)) return 'sent';
    const key = `${message.id}\n${destination}`;
    const line: MailboxLine = {
      id: message.id,
      destination,
      recipient: message.recipient,
      subject: message.subject,
      attributes: message.attributes,
      receivedAt: this.clock.now().toISOString(),
      duplicate: this.#seen.has(key),
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    this.#seen.add(key);
    await ledger.record(destination, { last: true });
    return 'sent';
  }

  /** Every arrival, in order; what the recipients see are the lines not marked `duplicate`. */
  received(): MailboxLine[] {
    return readMailbox(this.file);
  }
}
