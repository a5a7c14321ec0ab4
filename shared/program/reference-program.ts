/**
 * The reference program: the regional part of the "Digital Educational Environment" (ЦОС) rollout in
 * Omsk Oblast, 2021–2024, as data (DESIGN.md §1).
 *
 * - `connection`: every school connected by 2021-12-31, whatever its cohort.
 * - `equipment`: delivered by 1 December of the school's cohort year; `training` goes "with the
 *   equipment" (same planned start and deadline).
 * - `onboarding`: accounts on the federal platform by 2024-12-31, after `connection` and `equipment`.
 *   Its assignee is the school itself: the school's staff (role `school-staff`) confirm the accounts.
 *   Its planned start is the start of the cohort year; in practice it starts as soon as both
 *   dependencies are done.
 * - Sign-offs: the school's staff confirm that the connection works at the school (the bandwidth they
 *   measured there) and sign for the delivered equipment before a program manager or the district
 *   coordinator may accept either.
 */
import type { z } from 'zod';
import { loadProgram } from './load-program.js';
import type { ProgramDefinition } from './model.js';

const EQUIPMENT_YEARS = [2021, 2022, 2023, 2024] as const;

export const REFERENCE_PROGRAM_DATA = {
  id: 'cos-omsk-2021-2024',
  title: {
    ru: 'Цифровая образовательная среда — Омская область, 2021–2024',
    en: 'Digital Educational Environment — Omsk Oblast, 2021–2024',
  },
  timeZone: 'Asia/Omsk',
  targets: [
    { milestone: 'connection', date: '2021-12-31', share: 1, scope: 'all' },
    ...EQUIPMENT_YEARS.flatMap((year) =>
      (['equipment', 'training'] as const).map((milestone) => ({
        milestone,
        date: `${year}-12-01`,
        share: 1,
        scope: 'cohorts-due' as const,
      })),
    ),
    { milestone: 'onboarding', date: '2024-12-31', share: 1, scope: 'all' },
  ],
  milestones: [
    {
      key: 'connection',
      title: { ru: 'Подключение к сети «Интернет»', en: 'Internet connection' },
      doneWhen: {
        ru: 'Провайдер подключил школу на нормативной скорости (не менее 100 Мбит/с в городах, 50 Мбит/с в сельской местности), акт подписан',
        en: 'The provider has connected the school at the standard speed (at least 100 Mbit/s in towns, 50 Mbit/s in rural areas) and the act is signed',
      },
      dependsOn: [],
      plannedStart: { kind: 'fixed', date: '2021-01-01' },
      deadline: { kind: 'fixed', date: '2021-12-31' },
      evidence: 'connection',
      documents: [
        { type: 'work-act', title: { ru: 'Акт выполненных работ', en: 'Act of completed work' }, required: true },
        { type: 'speed-test', title: { ru: 'Результат замера скорости', en: 'Speed-test result' }, required: true },
        { type: 'photo', title: { ru: 'Фотография установленного оборудования', en: 'Photo of the installed equipment' }, required: false },
      ],
      assignee: 'internet-provider',
      signOffs: ['school-staff'],
    },
    {
      key: 'equipment',
      title: { ru: 'Поставка оборудования', en: 'Equipment delivery' },
      doneWhen: {
        ru: 'Поставщик поставил комплект компьютерного и презентационного оборудования (ноутбуки учителей, мобильный класс, МФУ, интерактивная панель, сетевое оборудование), школа его приняла',
        en: 'The supplier has delivered the computer and presentation kit (teacher laptops, student mobile class, MFP, interactive panel, network gear) and the school accepted it',
      },
      dependsOn: [],
      plannedStart: { kind: 'cohort-start', offsetDays: 0 },
      deadline: { kind: 'cohort-year', month: 12, day: 1 },
      evidence: 'equipment',
      documents: [
        {
          type: 'acceptance-act',
          title: { ru: 'Акт приёма-передачи, подписанный школой', en: 'Acceptance act signed by the school' },
          required: true,
        },
        { type: 'delivery-note', title: { ru: 'Товарная накладная', en: 'Delivery note' }, required: true },
        { type: 'photo', title: { ru: 'Фотография установленного оборудования', en: 'Photo of the installed equipment' }, required: false },
      ],
      assignee: 'equipment-supplier',
      signOffs: ['school-staff'],
    },
    {
      key: 'training',
      title: { ru: 'Подготовка кадров', en: 'Teacher training' },
      doneWhen: {
        ru: 'Организация-исполнитель обучила запланированное число педагогов школы',
        en: "The training provider has trained the school's planned number of teachers",
      },
      dependsOn: [],
      plannedStart: { kind: 'same-as', milestone: 'equipment' },
      deadline: { kind: 'same-as', milestone: 'equipment' },
      evidence: 'training',
      documents: [{ type: 'work-act', title: { ru: 'Акт об оказании услуг', en: 'Act of services rendered' }, required: false }],
      assignee: 'training-provider',
    },
    {
      key: 'onboarding',
      title: { ru: 'Подключение к федеральной цифровой платформе', en: 'Onboarding to the federal digital platform' },
      doneWhen: {
        ru: 'У школы, её учителей и учеников есть рабочие учётные записи на федеральной платформе',
        en: 'The school, its teachers and students have working accounts on the federal platform',
      },
      dependsOn: ['connection', 'equipment'],
      plannedStart: { kind: 'cohort-start', offsetDays: 0 },
      deadline: { kind: 'fixed', date: '2024-12-31' },
      evidence: 'onboarding',
      documents: [{ type: 'accounts-report', title: { ru: 'Отчёт об учётных записях', en: 'Accounts report' }, required: false }],
      assignee: 'school',
    },
  ],
} satisfies z.input<typeof ProgramDefinition>;

/** The reference program, validated (reminder policies filled with their defaults: 30/7/1 days, 09:00). */
export const REFERENCE_PROGRAM: ProgramDefinition = loadProgram(REFERENCE_PROGRAM_DATA);
