/**
 * Notifications as data (DESIGN.md principle 7): who is told what, in Russian and English, when a
 * milestone changes or a reminder is due. The decider returns them; the store writes them to the outbox
 * with the events; a dispatcher delivers them. Ids are deterministic, so writing one twice is a no-op.
 *
 * Whose turn it is decides who hears about a milestone: the assignee while it is active (the district
 * coordinator when nobody is assigned), the district coordinator while a submission waits for acceptance.
 * Escalated reminders go to that recipient and, in addition, to the district coordinator (level
 * `district-coordinator`) and the program managers (level `program-manager`).
 */
import type {
  EscalationLevel,
  IsoDate,
  LocalizedText,
  MilestoneDefinition,
  MilestoneEvent,
  MilestoneState,
  MilestoneNotification as Notification,
  School,
} from '../program/model.js';
import type { Reminder } from './reminders.js';

type Recipient = Notification['recipient'];

const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function dateRu(date: IsoDate): string {
  return `${date.slice(8, 10)}.${date.slice(5, 7)}.${date.slice(0, 4)}`;
}

function dateEn(date: IsoDate): string {
  return `${Number(date.slice(8, 10))} ${MONTHS_EN[Number(date.slice(5, 7)) - 1]} ${date.slice(0, 4)}`;
}

function recipientKey(r: Recipient): string {
  return r.type === 'contractor' ? `contractor-${r.org}` : r.type;
}

function sameRecipient(a: Recipient, b: Recipient): boolean {
  return recipientKey(a) === recipientKey(b);
}

/** Whoever must act next on the milestone. */
export function turnOwner(state: Pick<MilestoneState, 'status' | 'assignee'>, school: Pick<School, 'district'>): Recipient {
  if (state.status !== 'submitted' && state.assignee !== null) return { type: 'contractor', org: state.assignee };
  return { type: 'district-coordinator', district: school.district };
}

/** The recipients of a reminder at a level, without duplicates. */
export function reminderRecipients(
  level: EscalationLevel,
  state: Pick<MilestoneState, 'status' | 'assignee'>,
  school: Pick<School, 'district'>,
): Recipient[] {
  const list: Recipient[] = [turnOwner(state, school)];
  if (level !== 'assignee') list.push({ type: 'district-coordinator', district: school.district });
  if (level === 'program-manager') list.push({ type: 'program-manager' });
  return list.filter((r, i) => list.findIndex((o) => sameRecipient(o, r)) === i);
}

const LEVEL_TEXT: Readonly<Record<EscalationLevel, LocalizedText>> = {
  assignee: { ru: 'исполнитель', en: 'assignee' },
  'district-coordinator': { ru: 'координатор района', en: 'district coordinator' },
  'program-manager': { ru: 'руководитель программы', en: 'program manager' },
};

function reminderText(
  def: MilestoneDefinition,
  school: School,
  state: MilestoneState,
  reminder: Reminder,
): { subject: LocalizedText; body: LocalizedText } {
  const waiting: LocalizedText =
    state.status === 'submitted'
      ? { ru: 'Подтверждение отправлено и ожидает приёмки.', en: 'The confirmation was submitted and awaits acceptance.' }
      : { ru: `Условие выполнения: ${def.doneWhen.ru}.`, en: `Done when: ${def.doneWhen.en}.` };
  const escalation: LocalizedText =
    reminder.level === 'assignee'
      ? { ru: '', en: '' }
      : { ru: ` Эскалация: ${LEVEL_TEXT[reminder.level].ru}.`, en: ` Escalated to: ${LEVEL_TEXT[reminder.level].en}.` };
  // A deadline on a day off ends with the next working day: the text names both.
  const movedRu = reminder.due === reminder.deadline ? '' : ` (срок ${dateRu(reminder.deadline)} — нерабочий день)`;
  const movedEn = reminder.due === reminder.deadline ? '' : ` (the deadline ${dateEn(reminder.deadline)} is a day off)`;
  if (reminder.kind === 'before') {
    return {
      subject: {
        ru: `Напоминание: ${def.title.ru} — срок ${dateRu(reminder.due)}`,
        en: `Reminder: ${def.title.en} due ${dateEn(reminder.due)}`,
      },
      body: {
        ru: `${school.name}. Этап: ${def.title.ru} — завершить до ${dateRu(reminder.due)} включительно${movedRu} (дней до срока: ${reminder.daysToDeadline}). ${waiting.ru}`,
        en: `${school.name}. Milestone: ${def.title.en} — due by ${dateEn(reminder.due)}${movedEn} (${reminder.daysToDeadline} day(s) left). ${waiting.en}`,
      },
    };
  }
  const late = -reminder.daysToDeadline;
  return {
    subject: {
      ru: `Просрочено: ${def.title.ru} — срок был ${dateRu(reminder.due)}`,
      en: `Overdue: ${def.title.en} was due ${dateEn(reminder.due)}`,
    },
    body: {
      ru: `${school.name}. Этап: ${def.title.ru} — просрочен на ${late} дн. (срок — ${dateRu(reminder.due)}${movedRu}). ${waiting.ru}${escalation.ru}`,
      en: `${school.name}. Milestone: ${def.title.en} — ${late} day(s) overdue (due ${dateEn(reminder.due)}${movedEn}). ${waiting.en}${escalation.en}`,
    },
  };
}

/** One notification per recipient of the reminder; id `${reminder.id}:${recipient}`. */
export function reminderNotifications(
  def: MilestoneDefinition,
  school: School,
  state: MilestoneState,
  reminder: Reminder,
  now: Date,
): Notification[] {
  const text = reminderText(def, school, state, reminder);
  return reminderRecipients(reminder.level, state, school).map((recipient) => ({
    id: `${reminder.id}:${recipientKey(recipient)}`,
    schoolId: school.id,
    milestone: def.key,
    kind: reminder.level === 'assignee' ? 'reminder' : 'escalation',
    level: reminder.level,
    recipient,
    ...text,
    createdAt: now.toISOString(),
    deadline: reminder.deadline,
  }));
}

const STATUS_TEXT: Readonly<Record<Exclude<MilestoneEvent['type'], 'reminded'>, LocalizedText>> = {
  started: { ru: 'начат и назначен вашей организации', en: 'started and assigned to your organisation' },
  submitted: { ru: 'выполнен, подтверждение ожидает приёмки', en: 'confirmation submitted, awaiting acceptance' },
  accepted: { ru: 'принят', en: 'accepted' },
  rejected: { ru: 'возвращён на доработку', en: 'returned for rework' },
  held: { ru: 'приостановлен', en: 'put on hold' },
  resumed: { ru: 'возобновлён', en: 'resumed' },
  waived: { ru: 'снят: для школы не требуется', en: 'waived: not required for this school' },
  reassigned: { ru: 'передан вашей организации', en: 'reassigned to your organisation' },
  rescheduled: { ru: 'перенесён на новый срок', en: 'deadline moved' },
  'signed-off': { ru: 'подписан школой', en: 'signed off' },
  replanned: { ru: 'перепланирован: изменился профиль школы', en: "re-planned: the school's profile changed" },
};

/**
 * The notification for whoever must act after `event` (see `turnOwner`), or null for events that tell
 * nobody (a reminder is its own notification; a status change of an unassigned milestone other than a
 * submission). Id `${schoolId}:${key}:v${version}`.
 */
export function statusNotification(
  def: MilestoneDefinition,
  school: School,
  event: MilestoneEvent,
  after: MilestoneState,
  now: Date,
): Notification | null {
  if (event.type === 'reminded') return null;
  const recipient = turnOwner(after, school);
  if (recipient.type !== 'contractor' && event.type !== 'submitted') return null;
  const word = STATUS_TEXT[event.type];
  const reason = 'reason' in event ? event.reason : 'note' in event ? event.note : undefined;
  const because: LocalizedText = reason ? { ru: ` Причина: ${reason}`, en: ` Reason: ${reason}` } : { ru: '', en: '' };
  return {
    id: `${school.id}:${def.key}:v${event.version}`,
    schoolId: school.id,
    milestone: def.key,
    kind: 'status',
    level: recipient.type === 'contractor' ? 'assignee' : 'district-coordinator',
    recipient,
    subject: { ru: `${def.title.ru}: этап ${word.ru}`, en: `${def.title.en}: ${word.en}` },
    body: {
      ru: `${school.name}. Этап: ${def.title.ru} — ${word.ru}. Срок: ${dateRu(after.deadline)}.${because.ru}`,
      en: `${school.name}. Milestone: ${def.title.en} — ${word.en}. Due: ${dateEn(after.deadline)}.${because.en}`,
    },
    createdAt: now.toISOString(),
    deadline: after.deadline,
  };
}
