/**
 * Russian by default, English on request; the choice is kept in localStorage. Every text the dashboard
 * shows is here, keyed, in both languages (`Messages` is the Russian dictionary's shape, so a key missing
 * from the English one is a type error).
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { adminEn, adminRu } from './i18n-admin.js';
import { regionEn, regionRu } from './i18n-region.js';
import { documentsEn, documentsRu } from './i18n-documents.js';
import type { CommandType, EscalationLevel, KitItem, MilestoneEventType, MilestoneStatus, Role } from '../../../shared/program/model.js';

export type Lang = 'ru' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'en'];
const STORAGE_KEY = 'cos.lang';

const ru = {
  appTitle: 'ЦОС · мониторинг внедрения',
  region: 'Омская область',
  skipToContent: 'Перейти к содержанию',
  'history.generating':
    'Создаётся демонстрационная история: {percent} (смоделировано по {date}, цель — {demoDate}). Данные пополняются на глазах; изменения будут доступны, когда история дойдёт до {demoDate}.',
  'history.switching': 'История готова, запускается рабочая система…',
  mainNav: 'Основные разделы',
  language: 'Язык',
  signedInAs: 'Вы вошли как',
  signOut: 'Выйти',
  loading: 'Загрузка…',
  retry: 'Повторить',
  notFound: 'Страница не найдена.',
  none: '—',
  cancel: 'Отмена',

  'nav.overview': 'Обзор',
  'nav.schools': 'Школы',
  'nav.assignments': 'Мои задачи',
  'nav.notifications': 'Уведомления',
  'nav.report': 'Отчёт',

  'signin.title': 'Вход',
  'signin.intro': 'Войдите с адресом электронной почты и паролем. При первом входе введите временный пароль из приглашения и задайте свой.',
  'signin.withDirectory': 'Войти',
  'signin.withToken': 'Войти с токеном доступа',
  'signin.failed': 'Вход не удался: {reason}',
  'signin.token': 'Токен доступа',
  'signin.tokenHint': 'Строка вида eyJ…; хранится только в этой вкладке браузера до выхода.',
  'signin.submit': 'Войти',
  'signin.required': 'Вставьте токен.',
  'signin.rejected': 'Токен не принят: {reason}',
  'signin.expired': 'Сеанс завершён: войдите снова.',

  'role.program-manager': 'Руководитель программы',
  'role.district-coordinator': 'Координатор района',
  'role.contractor': 'Подрядчик',
  'role.viewer': 'Наблюдатель',
  'role.school-staff': 'Сотрудник школы',
  'role.system': 'Система',
  'me.org': 'организация {org}',

  'status.pending': 'Не начат',
  'status.active': 'В работе',
  'status.submitted': 'На проверке',
  'status.on-hold': 'Приостановлен',
  'status.completed': 'Выполнен',
  'status.waived': 'Не требуется',
  overdue: 'Просрочен',
  overdueShort: 'просрочка',

  'overview.title': 'Обзор программы',
  'overview.asOf': 'Данные на {date}',
  'overview.progress': 'Доля школ, прошедших этап',
  'overview.progressHint': 'Сплошная линия — факт, ромбы — целевые значения программы.',
  'overview.now': 'Сейчас: {share} ({reached} из {schools})',
  'overview.target': 'Цель на {date}: {share}',
  'overview.chartLabel': '{milestone}: доля выполненных по времени. Сейчас {share}. {targets}',
  'overview.byDistrict': 'Выполнение по районам',
  'overview.byDistrictHint': 'Доля школ района, прошедших этап; цвет тем темнее, чем выше доля. Ссылка открывает список школ.',
  'overview.overdue': 'Просроченные этапы',
  'overview.overdueSchools': 'школ с просрочкой',
  'overview.overdueMilestones': 'просроченных этапов',
  'overview.showOverdue': 'Показать школы с просрочкой',
  'overview.schools': 'Школ',
  'overview.district': 'Район',
  'overview.total': 'Всего',

  'schools.title': 'Школы',
  'schools.filters': 'Фильтры',
  'schools.district': 'Район',
  'schools.milestone': 'Этап',
  'schools.status': 'Статус этапа',
  'schools.overdueOnly': 'Только просроченные',
  'schools.search': 'Поиск по названию',
  'schools.apply': 'Показать',
  'schools.reset': 'Сбросить',
  'schools.any': 'Все',
  'schools.empty': 'Школы не найдены.',
  'schools.name': 'Школа',
  'schools.locality': 'Населённый пункт',
  'schools.cohort': 'Год поставки',
  'schools.page': 'Страница {n}',
  'schools.prev': 'Предыдущая',
  'schools.next': 'Следующая',
  'schools.pagination': 'Страницы списка',
  'schools.count': 'Показано {n}',

  'school.profile': 'Сведения о школе',
  'school.district': 'Район',
  'school.locality': 'Населённый пункт',
  'school.area': 'Местность',
  'school.urban': 'городская',
  'school.rural': 'сельская',
  'school.cohort': 'Год поставки оборудования',
  'school.teachers': 'Педагогов к обучению',
  'school.students': 'Обучающихся',
  'school.kit': 'Комплект оборудования (план)',
  'school.timeline': 'Этапы',
  'school.plannedStart': 'Плановое начало',
  'school.deadline': 'Срок',
  'school.assignee': 'Исполнитель',
  'school.startedAt': 'Начат',
  'school.submittedAt': 'Подтверждение отправлено',
  'school.closedAt': 'Закрыт',
  'school.note': 'Комментарий',
  'school.rejections': 'Отклонений',
  'school.evidence': 'Подтверждение',
  'school.noEvidence': 'Подтверждение ещё не отправлено.',
  'school.actions': 'Действия',
  'school.history': 'История изменений',
  'school.historyEmpty': 'Событий пока нет.',
  'school.loadMore': 'Показать ещё',
  'school.when': 'Когда',
  'school.event': 'Событие',
  'school.actor': 'Кто',
  'school.details': 'Подробности',
  'school.updated': 'Сохранено: {action}.',

  'evidence.actNumber': 'Номер акта',
  'evidence.actDate': 'Дата акта',
  'evidence.bandwidthMbps': 'Измеренная скорость, Мбит/с',
  'evidence.bandwidthHint': 'Норматив для этой школы: не менее {min} Мбит/с ({area}).',
  'evidence.items': 'Поставленное оборудование',
  'evidence.itemsHint': 'Количество по каждой позиции; по плану — в скобках.',
  'evidence.teachersTrained': 'Обучено педагогов',
  'evidence.teachersHint': 'По плану: {n}.',
  'evidence.teacherAccounts': 'Учётных записей педагогов',
  'evidence.studentAccounts': 'Учётных записей обучающихся',
  'evidence.planned': 'план: {n}',
  'evidence.filterName': 'Система контентной фильтрации',
  'evidence.registryEntry': 'Номер записи в реестре ПО',
  'evidence.enabledOn': 'Дата включения',

  'kit.teacher-laptop': 'Ноутбук учителя',
  'kit.student-laptop': 'Ноутбук мобильного класса',
  'kit.mfp': 'МФУ',
  'kit.interactive-panel': 'Интерактивная панель',
  'kit.network-equipment': 'Сетевое оборудование',

  'action.start': 'Начать',
  'action.submit': 'Отправить подтверждение',
  'action.accept': 'Принять',
  'action.reject': 'Отклонить',
  'action.hold': 'Приостановить',
  'action.resume': 'Возобновить',
  'action.waive': 'Снять (не требуется)',
  'action.reassign': 'Сменить исполнителя',
  'action.reschedule': 'Перенести срок',
  'action.signoff': 'Подписать',
  'action.replan': 'Перепланировать',
  'action.done.start': 'этап начат',
  'action.done.submit': 'подтверждение отправлено',
  'action.done.accept': 'работа принята',
  'action.done.reject': 'подтверждение отклонено',
  'action.done.hold': 'этап приостановлен',
  'action.done.resume': 'этап возобновлён',
  'action.done.waive': 'этап снят',
  'action.done.reassign': 'исполнитель изменён',
  'action.done.reschedule': 'срок перенесён',
  'action.done.signoff': 'подписано школой',
  'action.done.replan': 'этап перепланирован',

  'field.assignee': 'Исполнитель (код организации)',
  'field.assigneeHint': 'Оставьте пустым, чтобы назначить исполнителя по умолчанию.',
  'field.contractor': 'Новый исполнитель (код организации)',
  'field.reason': 'Причина',
  'field.note': 'Комментарий',
  'field.measuredMbps': 'Скорость, измеренная в школе, Мбит/с',
  'field.deadline': 'Новый срок',
  'form.submit': 'Сохранить',
  'form.fixErrors': 'Исправьте ошибки в отмеченных полях.',
  'form.conflict': 'Этап уже изменился (другой пользователь или система). Обновите данные и повторите.',
  'form.reload': 'Обновить',

  'error.required': 'Обязательное поле.',
  'error.number': 'Введите число.',
  'error.integer': 'Введите целое число.',
  'error.min': 'Не меньше {n}.',
  'error.positive': 'Должно быть больше 0.',
  'error.max': 'Не больше {n}.',
  'error.maxLength': 'Не длиннее {n} символов.',
  'error.minLength': 'Не короче {n} символов.',
  'error.date': 'Дата в формате ГГГГ-ММ-ДД.',
  'error.calendarDate': 'Такой даты нет в календаре.',
  'error.id': 'Только латинские буквы, цифры, «-» и «_».',
  'error.reason': 'Укажите причину (не менее 3 символов).',
  'error.invalid': 'Неверное значение.',
  'error.network': 'Сервер недоступен: {reason}',
  'error.http': 'Ошибка {status}: {title}',
  'error.forbidden': 'Недостаточно прав для этого раздела.',
  'error.bandwidthBelow': 'Ниже норматива: для этой школы нужно не менее {min} Мбит/с.',
  'error.actFuture': 'Дата акта не может быть позже сегодняшней.',
  'error.actTooEarly': 'Дата акта раньше начала программы.',
  'error.shortfall': 'Меньше запланированного.',

  'event.started': 'Этап начат',
  'event.submitted': 'Отправлено подтверждение',
  'event.accepted': 'Работа принята',
  'event.rejected': 'Подтверждение отклонено',
  'event.held': 'Этап приостановлен',
  'event.resumed': 'Этап возобновлён',
  'event.waived': 'Этап снят',
  'event.reassigned': 'Исполнитель изменён',
  'event.rescheduled': 'Срок перенесён',
  'event.reminded': 'Напоминание',
  'event.signed-off': 'Подписано',
  'event.replanned': 'Этап перепланирован',
  'event.from': 'с {from} на {to}',
  'event.daysToDeadline': 'до срока дней: {n}',

  'level.assignee': 'исполнителю',
  'level.district-coordinator': 'координатору района',
  'level.program-manager': 'руководителю программы',

  'assignments.title': 'Мои задачи',
  'assignments.intro':
    'Этапы, назначенные вашей организации. Отправьте подтверждение по выполненной работе — его проверит руководитель программы.',
  'assignments.empty': 'Назначенных этапов нет.',
  'assignments.open': 'Заполнить подтверждение',

  'notifications.title': 'Уведомления',
  'notifications.empty': 'Уведомлений нет.',
  'notifications.kind.reminder': 'Напоминание',
  'notifications.kind.escalation': 'Эскалация',
  'notifications.kind.status': 'Изменение статуса',
  'notifications.kind.weekly-digest': 'Еженедельная сводка',
  'notifications.week': 'неделя с {date}',
  'notifications.deadline': 'срок {date}',

  'report.title': 'Отчёт о выполнении',
  'report.asOf': 'На дату',
  'report.show': 'Сформировать',
  'report.csv': 'Скачать CSV',
  'report.xlsx': 'Скачать XLSX',
  'report.caption':
    'Число и доля школ, прошедших этап, на {date} (этап, который для школы не требуется, считается пройденным и показан отдельно)',
  'report.reached': 'выполнено',
  'report.waived': 'не требуется',
  'report.share': 'доля',
  'report.sheet': 'Выполнение',
  'report.file': 'cos-otchet-{date}',

  'forecast.title': 'Прогноз достижения целей',
  'forecast.hint':
    'Дата, к которой будет достигнута ближайшая цель по этапу, если школы будут проходить его в темпе последних {weeks} недель; в скобках — диапазон (80 %, бутстреп по неделям).',
  'forecast.target': 'Цель: {share} к {date}',
  'forecast.date': 'Прогноз: {date}',
  'forecast.range': 'диапазон {low} — {high}',
  'forecast.openEnded': 'позже',
  'forecast.pace': 'Темп: {pace} школ в неделю, осталось {needed}',
  'forecast.status.met': 'Цель достигнута',
  'forecast.status.on-track': 'Успевает к сроку',
  'forecast.status.late': 'Не успевает к сроку',
  'forecast.status.stalled': 'Нет движения: при нулевом темпе цель не будет достигнута',
  'forecast.holdingBack': 'Сдерживают: {count} школ, из них просрочено {overdue}',
  'forecast.overdueDays': 'просрочено на {days} дн.',
  'forecast.dueOn': 'срок {date}',
  'forecast.worstDistricts': 'Районы, которые отстают больше всего',

  'equal.title': 'Равные условия: город, село, размер района',
  'equal.groupBy': 'Разрез',
  'equal.district': 'По районам',
  'equal.settlement': 'Город и село',
  'equal.district-size': 'По размеру района',
  'equal.group.urban': 'Городские школы',
  'equal.group.rural': 'Сельские школы',
  'equal.group.small': 'Малые районы (до 15 школ)',
  'equal.group.medium': 'Средние районы (16–49 школ)',
  'equal.group.large': 'Крупные районы (50 школ и более)',
  'equal.gap': 'Разрыв, п. п.',
  'equal.gapHint': 'Разрыв — доля группы «{a}» минус доля группы «{b}», в процентных пунктах; отрицательный, если первая отстаёт.',
  'equal.points': '{points} п. п.',

  'nav.scorecards': 'Подрядчики',
  'scorecards.title': 'Показатели подрядчиков',
  'scorecards.hint':
    'По каждому подрядчику и этапу: доля принятых в срок, задержка в рабочих днях (по производственному календарю), доля отклонённых сдач, работа в процессе и просроченная. Нажмите на заголовок столбца, чтобы отсортировать.',
  'scorecards.contractor': 'Подрядчик',
  'scorecards.milestone': 'Этап',
  'scorecards.accepted': 'Принято',
  'scorecards.onTime': 'В срок',
  'scorecards.meanDelay': 'Средняя задержка, раб. дн.',
  'scorecards.p90Delay': 'Задержка P90, раб. дн.',
  'scorecards.rejectionRate': 'Доля отклонённых',
  'scorecards.open': 'В работе',
  'scorecards.overdue': 'Просрочено',
  'scorecards.empty': 'Нет назначенных работ.',
  'scorecards.sheet': 'Подрядчики',
  'scorecards.file': 'cos-podryadchiki-{date}',
  ...adminRu,
  ...regionRu,
  ...documentsRu,
};

export type MessageKey = keyof typeof ru;
type Messages = Record<MessageKey, string>;

const en: Messages = {
  appTitle: 'Digital Educational Environment · rollout monitor',
  region: 'Omsk Oblast',
  skipToContent: 'Skip to content',
  'history.generating':
    'The demo history is being generated: {percent} (simulated up to {date}, target {demoDate}). The data fills in as you watch; changes are possible once the history reaches {demoDate}.',
  'history.switching': 'The history is ready; the live system is starting…',
  mainNav: 'Main sections',
  language: 'Language',
  signedInAs: 'Signed in as',
  signOut: 'Sign out',
  loading: 'Loading…',
  retry: 'Retry',
  notFound: 'Page not found.',
  none: '—',
  cancel: 'Cancel',

  'nav.overview': 'Overview',
  'nav.schools': 'Schools',
  'nav.assignments': 'My assignments',
  'nav.notifications': 'Notifications',
  'nav.report': 'Report',

  'signin.title': 'Sign in',
  'signin.intro':
    'Sign in with your e-mail and password. The first time, enter the temporary password from your invitation and choose your own.',
  'signin.withDirectory': 'Sign in',
  'signin.withToken': 'Sign in with an access token',
  'signin.failed': 'Sign-in failed: {reason}',
  'signin.token': 'Access token',
  'signin.tokenHint': 'A string like eyJ…; kept only in this browser tab until you sign out.',
  'signin.submit': 'Sign in',
  'signin.required': 'Paste a token.',
  'signin.rejected': 'The token was not accepted: {reason}',
  'signin.expired': 'Your session has ended: please sign in again.',

  'role.program-manager': 'Program manager',
  'role.district-coordinator': 'District coordinator',
  'role.contractor': 'Contractor',
  'role.viewer': 'Viewer',
  'role.school-staff': 'School staff',
  'role.system': 'System',
  'me.org': 'organization {org}',

  'status.pending': 'Not started',
  'status.active': 'In progress',
  'status.submitted': 'Awaiting review',
  'status.on-hold': 'On hold',
  'status.completed': 'Done',
  'status.waived': 'Waived',
  overdue: 'Overdue',
  overdueShort: 'overdue',

  'overview.title': 'Program overview',
  'overview.asOf': 'As of {date}',
  'overview.progress': 'Share of schools that reached each milestone',
  'overview.progressHint': 'The solid line is the actual share; diamonds are the program targets.',
  'overview.now': 'Now: {share} ({reached} of {schools})',
  'overview.target': 'Target by {date}: {share}',
  'overview.chartLabel': '{milestone}: share done over time. Now {share}. {targets}',
  'overview.byDistrict': 'Progress by district',
  'overview.byDistrictHint':
    'Share of the district’s schools that reached the milestone; the darker, the higher. Each link opens the school list.',
  'overview.overdue': 'Overdue milestones',
  'overview.overdueSchools': 'schools with overdue work',
  'overview.overdueMilestones': 'overdue milestones',
  'overview.showOverdue': 'Show schools with overdue work',
  'overview.schools': 'Schools',
  'overview.district': 'District',
  'overview.total': 'Total',

  'schools.title': 'Schools',
  'schools.filters': 'Filters',
  'schools.district': 'District',
  'schools.milestone': 'Milestone',
  'schools.status': 'Milestone status',
  'schools.overdueOnly': 'Overdue only',
  'schools.search': 'Search by name',
  'schools.apply': 'Show',
  'schools.reset': 'Reset',
  'schools.any': 'All',
  'schools.empty': 'No schools found.',
  'schools.name': 'School',
  'schools.locality': 'Locality',
  'schools.cohort': 'Cohort',
  'schools.page': 'Page {n}',
  'schools.prev': 'Previous',
  'schools.next': 'Next',
  'schools.pagination': 'List pages',
  'schools.count': '{n} shown',

  'school.profile': 'School profile',
  'school.district': 'District',
  'school.locality': 'Locality',
  'school.area': 'Area',
  'school.urban': 'urban',
  'school.rural': 'rural',
  'school.cohort': 'Equipment cohort',
  'school.teachers': 'Teachers to train',
  'school.students': 'Students',
  'school.kit': 'Planned equipment kit',
  'school.timeline': 'Milestones',
  'school.plannedStart': 'Planned start',
  'school.deadline': 'Deadline',
  'school.assignee': 'Assignee',
  'school.startedAt': 'Started',
  'school.submittedAt': 'Submitted',
  'school.closedAt': 'Closed',
  'school.note': 'Note',
  'school.rejections': 'Rejections',
  'school.evidence': 'Evidence',
  'school.noEvidence': 'No evidence submitted yet.',
  'school.actions': 'Actions',
  'school.history': 'History',
  'school.historyEmpty': 'No events yet.',
  'school.loadMore': 'Show more',
  'school.when': 'When',
  'school.event': 'Event',
  'school.actor': 'Who',
  'school.details': 'Details',
  'school.updated': 'Saved: {action}.',

  'evidence.actNumber': 'Act number',
  'evidence.actDate': 'Act date',
  'evidence.bandwidthMbps': 'Measured bandwidth, Mbit/s',
  'evidence.bandwidthHint': 'The standard for this school: at least {min} Mbit/s ({area}).',
  'evidence.items': 'Delivered equipment',
  'evidence.itemsHint': 'Quantity of each item; the plan is in brackets.',
  'evidence.teachersTrained': 'Teachers trained',
  'evidence.teachersHint': 'Planned: {n}.',
  'evidence.teacherAccounts': 'Teacher accounts',
  'evidence.studentAccounts': 'Student accounts',
  'evidence.planned': 'plan: {n}',
  'evidence.filterName': 'Content-filtering system',
  'evidence.registryEntry': 'Software registry entry',
  'evidence.enabledOn': 'Switched on',

  'kit.teacher-laptop': 'Teacher laptop',
  'kit.student-laptop': 'Mobile class laptop',
  'kit.mfp': 'Multifunction printer',
  'kit.interactive-panel': 'Interactive panel',
  'kit.network-equipment': 'Network equipment',

  'action.start': 'Start',
  'action.submit': 'Submit confirmation',
  'action.accept': 'Accept',
  'action.reject': 'Reject',
  'action.hold': 'Put on hold',
  'action.resume': 'Resume',
  'action.waive': 'Waive',
  'action.reassign': 'Reassign',
  'action.reschedule': 'Move deadline',
  'action.signoff': 'Sign off',
  'action.replan': 'Re-plan',
  'action.done.start': 'milestone started',
  'action.done.submit': 'confirmation submitted',
  'action.done.accept': 'work accepted',
  'action.done.reject': 'confirmation rejected',
  'action.done.hold': 'milestone put on hold',
  'action.done.resume': 'milestone resumed',
  'action.done.waive': 'milestone waived',
  'action.done.reassign': 'assignee changed',
  'action.done.reschedule': 'deadline moved',
  'action.done.signoff': 'signed off',
  'action.done.replan': 'milestone re-planned',

  'field.assignee': 'Assignee (organization id)',
  'field.assigneeHint': 'Leave empty to assign the default contractor.',
  'field.contractor': 'New assignee (organization id)',
  'field.reason': 'Reason',
  'field.note': 'Note',
  'field.measuredMbps': 'Bandwidth measured at the school, Mbit/s',
  'field.deadline': 'New deadline',
  'form.submit': 'Save',
  'form.fixErrors': 'Please correct the marked fields.',
  'form.conflict': 'The milestone has changed meanwhile (another user or the system). Reload and try again.',
  'form.reload': 'Reload',

  'error.required': 'Required.',
  'error.number': 'Enter a number.',
  'error.integer': 'Enter a whole number.',
  'error.min': 'At least {n}.',
  'error.positive': 'Must be greater than 0.',
  'error.max': 'At most {n}.',
  'error.maxLength': 'At most {n} characters.',
  'error.minLength': 'At least {n} characters.',
  'error.date': 'A date as YYYY-MM-DD.',
  'error.calendarDate': 'No such calendar date.',
  'error.id': 'Latin letters, digits, "-" and "_" only.',
  'error.reason': 'Give a reason (at least 3 characters).',
  'error.invalid': 'Invalid value.',
  'error.network': 'The server cannot be reached: {reason}',
  'error.http': 'Error {status}: {title}',
  'error.forbidden': 'You do not have access to this section.',
  'error.bandwidthBelow': 'Below the standard: this school needs at least {min} Mbit/s.',
  'error.actFuture': 'The act date cannot be later than today.',
  'error.actTooEarly': 'The act date is before the program began.',
  'error.shortfall': 'Less than planned.',

  'event.started': 'Milestone started',
  'event.submitted': 'Confirmation submitted',
  'event.accepted': 'Work accepted',
  'event.rejected': 'Confirmation rejected',
  'event.held': 'Put on hold',
  'event.resumed': 'Resumed',
  'event.waived': 'Waived',
  'event.reassigned': 'Assignee changed',
  'event.rescheduled': 'Deadline moved',
  'event.reminded': 'Reminder',
  'event.signed-off': 'Signed off',
  'event.replanned': 'Milestone re-planned',
  'event.from': 'from {from} to {to}',
  'event.daysToDeadline': 'days to deadline: {n}',

  'level.assignee': 'to the assignee',
  'level.district-coordinator': 'to the district coordinator',
  'level.program-manager': 'to the program manager',

  'assignments.title': 'My assignments',
  'assignments.intro': 'Milestones assigned to your organization. Submit a confirmation for finished work; the program manager reviews it.',
  'assignments.empty': 'Nothing is assigned to you.',
  'assignments.open': 'Fill in the confirmation',

  'notifications.title': 'Notifications',
  'notifications.empty': 'No notifications.',
  'notifications.kind.reminder': 'Reminder',
  'notifications.kind.escalation': 'Escalation',
  'notifications.kind.status': 'Status change',
  'notifications.kind.weekly-digest': 'Weekly digest',
  'notifications.week': 'week of {date}',
  'notifications.deadline': 'deadline {date}',

  'report.title': 'Progress report',
  'report.asOf': 'As of',
  'report.show': 'Build report',
  'report.csv': 'Download CSV',
  'report.xlsx': 'Download XLSX',
  'report.caption':
    'Number and share of schools that reached each milestone, as of {date} (a waived milestone counts as reached and is also shown apart)',
  'report.reached': 'done',
  'report.waived': 'waived',
  'report.share': 'share',
  'report.sheet': 'Progress',
  'report.file': 'cos-progress-{date}',

  'forecast.title': 'Forecast of the targets',
  'forecast.hint':
    'The date the next target of each milestone is reached if schools go on at the pace of the last {weeks} weeks; in brackets the range (80 %, a bootstrap over the weeks).',
  'forecast.target': 'Target: {share} by {date}',
  'forecast.date': 'Forecast: {date}',
  'forecast.range': 'range {low} – {high}',
  'forecast.openEnded': 'later',
  'forecast.pace': 'Pace: {pace} schools a week, {needed} to go',
  'forecast.status.met': 'Target met',
  'forecast.status.on-track': 'On track',
  'forecast.status.late': 'Will miss the date',
  'forecast.status.stalled': 'No progress: at a pace of zero the target is not reached',
  'forecast.holdingBack': 'Holding it back: {count} schools, {overdue} of them overdue',
  'forecast.overdueDays': '{days} day(s) overdue',
  'forecast.dueOn': 'due {date}',
  'forecast.worstDistricts': 'Districts furthest behind',

  'equal.title': 'Equal conditions: urban, rural, district size',
  'equal.groupBy': 'Split',
  'equal.district': 'By district',
  'equal.settlement': 'Urban and rural',
  'equal.district-size': 'By district size',
  'equal.group.urban': 'Urban schools',
  'equal.group.rural': 'Rural schools',
  'equal.group.small': 'Small districts (up to 15 schools)',
  'equal.group.medium': 'Medium districts (16–49 schools)',
  'equal.group.large': 'Large districts (50 schools or more)',
  'equal.gap': 'Gap, percentage points',
  'equal.gapHint': 'The gap is the share of “{a}” minus the share of “{b}”, in percentage points; negative when the first is behind.',
  'equal.points': '{points} pp',

  'nav.scorecards': 'Contractors',
  'scorecards.title': 'Contractor scorecards',
  'scorecards.hint':
    'Per contractor and milestone: the share accepted on time, the delay in working days (Russian production calendar), the share of submissions rejected, open and overdue work. Click a column header to sort.',
  'scorecards.contractor': 'Contractor',
  'scorecards.milestone': 'Milestone',
  'scorecards.accepted': 'Accepted',
  'scorecards.onTime': 'On time',
  'scorecards.meanDelay': 'Mean delay, working days',
  'scorecards.p90Delay': 'P90 delay, working days',
  'scorecards.rejectionRate': 'Rejection rate',
  'scorecards.open': 'Open',
  'scorecards.overdue': 'Overdue',
  'scorecards.empty': 'No assigned work.',
  'scorecards.sheet': 'Contractors',
  'scorecards.file': 'cos-contractors-{date}',
  ...adminEn,
  ...regionEn,
  ...documentsEn,
};

const DICTIONARIES: Record<Lang, Messages> = { ru, en };

export type Params = Record<string, string | number>;

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: Params) => string;
  /** A calendar date (`YYYY-MM-DD`) as people write it: 31.12.2021 / 31 Dec 2021. */
  date: (iso: string) => string;
  /** An instant in the region's time zone, to the minute. */
  dateTime: (iso: string) => string;
  percent: (share: number) => string;
  number: (n: number) => string;
  status: (s: MilestoneStatus) => string;
  role: (r: Role | 'system') => string;
  action: (a: CommandType) => string;
  event: (e: MilestoneEventType) => string;
  kit: (k: KitItem) => string;
  level: (l: EscalationLevel) => string;
}

/** Deadlines are dates of the region; instants are shown in its time zone. */
const TIME_ZONE = 'Asia/Omsk';

export function createI18n(lang: Lang): I18n {
  const dict = DICTIONARIES[lang];
  const locale = lang === 'ru' ? 'ru-RU' : 'en-GB';
  const dateFmt = new Intl.DateTimeFormat(
    locale,
    lang === 'ru'
      ? { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }
      : { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' },
  );
  const dateTimeFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE });
  const pctFmt = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const numFmt = new Intl.NumberFormat(locale);
  const t = (key: MessageKey, params?: Params): string =>
    dict[key].replace(/\{(\w+)\}/g, (m, name: string) => (params && name in params ? String(params[name]) : m));
  return {
    lang,
    t,
    date: (iso) => (/^\d{4}-\d{2}-\d{2}/.test(iso) ? dateFmt.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)) : iso),
    dateTime: (iso) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : dateTimeFmt.format(d);
    },
    percent: (share) => pctFmt.format(share),
    number: (n) => numFmt.format(n),
    status: (s) => t(`status.${s}`),
    role: (r) => t(`role.${r}`),
    action: (a) => t(`action.${a}`),
    event: (e) => t(`event.${e}`),
    kit: (k) => t(`kit.${k}`),
    level: (l) => t(`level.${l}`),
  };
}

export function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'ru' ? v : 'ru';
  } catch {
    return 'ru';
  }
}

export function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
  document.documentElement.lang = lang;
}

export const I18nContext = createContext<I18n>(createI18n('ru'));
export const useI18n = (): I18n => useContext(I18nContext);
