/**
 * The demo region: a deterministic, seeded synthetic set of schools and contractors over the real
 * districts of Omsk Oblast (the city of Omsk and its 32 municipal districts).
 *
 * - The shape of the region is fixed: with the default 750 schools the city has 150 and every municipal
 *   district 10–30, by a fixed weight per district; another total is scaled from the same weights (every
 *   district keeps at least one school when there are enough schools for that).
 * - The seed decides everything else: school numbers and types, villages, sizes, kits, cohorts.
 *   The same seed gives byte-identical output (`JSON.stringify` of two runs is the same string).
 * - Urban/rural follows the district-centre rule: a school is urban when it is in the city, or in the
 *   centre of its district and that centre is a town (`centerIsTown`). The Omsky District is administered
 *   from the city of Omsk, which is a district of its own, so its schools are all in villages, and rural.
 * - School names, village names and contractor names are invented. Village names are common Russian
 *   village names; contractor names are fictional and stand for no real company.
 */
import { Contractor, School, type ContractorKind, type District, type Kit } from '../program/model.js';
import { OMSK_CITY_DISTRICT_ID, OMSK_OBLAST_DISTRICTS } from './districts.js';
import { Rng, type Seed } from './prng.js';

export interface Region {
  districts: District[];
  schools: School[];
  contractors: Contractor[];
}

/** The kinds of contractor the demo region has (the reference program has no platform operator's milestone). */
export const CONTRACTOR_KINDS = [
  'internet-provider',
  'equipment-supplier',
  'training-provider',
] as const satisfies readonly ContractorKind[];
type DemoContractorKind = (typeof CONTRACTOR_KINDS)[number];

/** The reference program's milestone each demo contractor kind is under contract for. */
const CONTRACT_MILESTONE: Readonly<Record<DemoContractorKind, string>> = {
  'internet-provider': 'connection',
  'equipment-supplier': 'equipment',
  'training-provider': 'training',
};

export const DEMO_REGION_SCHOOLS = 750;
export const MAX_DEMO_REGION_SCHOOLS = 20_000;

export interface GenerateRegionOptions {
  seed: Seed;
  /** Total number of schools, 1..20000; default 750. */
  schools?: number;
}

// ---------- the shape of the region ----------

/** Schools per district when the region has 750 schools (sums to 750). */
const DISTRICT_WEIGHTS: Readonly<Record<string, number>> = {
  'omsk-city': 150,
  azovsky: 14,
  bolsherechensky: 22,
  bolsheukovsky: 10,
  gorkovsky: 18,
  znamensky: 12,
  isilkulsky: 24,
  kalachinsky: 24,
  kolosovsky: 12,
  kormilovsky: 18,
  krutinsky: 18,
  lyubinsky: 26,
  maryanovsky: 18,
  moskalensky: 22,
  muromtsevsky: 22,
  nazyvayevsky: 20,
  nizhneomsky: 14,
  novovarshavsky: 18,
  odessky: 12,
  okoneshnikovsky: 12,
  omsky: 30,
  pavlogradsky: 18,
  poltavsky: 20,
  'russko-polyansky': 16,
  sargatsky: 18,
  sedelnikovsky: 12,
  tavrichesky: 24,
  tarsky: 30,
  tevrizsky: 16,
  tyukalinsky: 22,
  'ust-ishimsky': 16,
  cherlaksky: 24,
  sherbakulsky: 18,
};

/** Parts of the region, for contractors that serve only some districts. */
const ZONES = {
  north: [
    'tarsky',
    'tevrizsky',
    'ust-ishimsky',
    'znamensky',
    'sedelnikovsky',
    'bolsheukovsky',
    'kolosovsky',
    'muromtsevsky',
    'bolsherechensky',
    'krutinsky',
    'tyukalinsky',
  ],
  centre: [
    'omsk-city',
    'omsky',
    'kormilovsky',
    'lyubinsky',
    'sargatsky',
    'gorkovsky',
    'nizhneomsky',
    'kalachinsky',
    'okoneshnikovsky',
    'maryanovsky',
    'nazyvayevsky',
  ],
  south: [
    'azovsky',
    'tavrichesky',
    'odessky',
    'pavlogradsky',
    'russko-polyansky',
    'novovarshavsky',
    'cherlaksky',
    'sherbakulsky',
    'poltavsky',
    'isilkulsky',
    'moskalensky',
  ],
} as const;

interface ContractorSpec {
  id: string;
  name: string;
  kind: DemoContractorKind;
  districts: readonly string[];
}

/** Fictional contractors: a regional one or two per kind, and some serving a part of the region. */
const CONTRACTORS: readonly ContractorSpec[] = [
  { id: 'isp-priirtysh-lines', name: 'АО «Прииртышские линии связи»', kind: 'internet-provider', districts: [] },
  { id: 'isp-severny-luch', name: 'ООО «Северный луч»', kind: 'internet-provider', districts: ZONES.north },
  { id: 'isp-stepnet', name: 'ООО «СтепНет Сибирь»', kind: 'internet-provider', districts: ZONES.south },
  { id: 'isp-om-telecom', name: 'ООО «Омь-Телеком»', kind: 'internet-provider', districts: ZONES.centre },
  { id: 'sup-sibkomplekt', name: 'ООО «СибКомплект-Образование»', kind: 'equipment-supplier', districts: [] },
  { id: 'sup-uchtekhsnab', name: 'АО «Учтехснаб-Иртыш»', kind: 'equipment-supplier', districts: [] },
  {
    id: 'sup-tekhnosfera',
    name: 'ООО «Техносфера Прииртышья»',
    kind: 'equipment-supplier',
    districts: [...ZONES.north, ...ZONES.centre],
  },
  { id: 'sup-yuzhnaya-tekhnika', name: 'ООО «Южная учебная техника»', kind: 'equipment-supplier', districts: ZONES.south },
  { id: 'edu-tsifrovye-kompetentsii', name: 'АНО ДПО «Центр цифровых компетенций педагога»', kind: 'training-provider', districts: [] },
  { id: 'edu-irtysh-znanie', name: 'ЧУ ДПО «Иртыш-Знание»', kind: 'training-provider', districts: ZONES.north },
  { id: 'edu-stepnoy-metodcentr', name: 'АНО ДПО «Степной методический центр»', kind: 'training-provider', districts: ZONES.south },
  { id: 'edu-pedagog-online', name: 'ООО «Педагог-Онлайн Прииртышье»', kind: 'training-provider', districts: ZONES.centre },
];

/** Common Russian village names with the adjective a school there is named by. */
const VILLAGES: readonly (readonly [village: string, adjective: string])[] = [
  ['Покровка', 'Покровская'],
  ['Александровка', 'Александровская'],
  ['Николаевка', 'Николаевская'],
  ['Ивановка', 'Ивановская'],
  ['Михайловка', 'Михайловская'],
  ['Петропавловка', 'Петропавловская'],
  ['Андреевка', 'Андреевская'],
  ['Богодуховка', 'Богодуховская'],
  ['Екатериновка', 'Екатериновская'],
  ['Воскресенка', 'Воскресенская'],
  ['Троицкое', 'Троицкая'],
  ['Никольское', 'Никольская'],
  ['Успенка', 'Успенская'],
  ['Новоселье', 'Новосельская'],
  ['Березовка', 'Березовская'],
  ['Сосновка', 'Сосновская'],
  ['Ольховка', 'Ольховская'],
  ['Липовка', 'Липовская'],
  ['Осиновка', 'Осиновская'],
  ['Рябиновка', 'Рябиновская'],
  ['Калиновка', 'Калиновская'],
  ['Луговое', 'Луговская'],
  ['Степное', 'Степнинская'],
  ['Полевое', 'Полевская'],
  ['Озерное', 'Озерненская'],
  ['Заречное', 'Заречненская'],
  ['Приречное', 'Приреченская'],
  ['Береговое', 'Береговская'],
  ['Красный Яр', 'Красноярская'],
  ['Камышино', 'Камышинская'],
  ['Крутой Лог', 'Крутологская'],
  ['Сухой Лог', 'Сухологская'],
  ['Белый Ключ', 'Белоключевская'],
  ['Лебяжье', 'Лебяжинская'],
  ['Журавлевка', 'Журавлевская'],
  ['Соколовка', 'Соколовская'],
  ['Новоалександровка', 'Новоалександровская'],
  ['Новотроицкое', 'Новотроицкая'],
  ['Новопокровка', 'Новопокровская'],
  ['Елизаветинка', 'Елизаветинская'],
  ['Марьинка', 'Марьинская'],
  ['Степановка', 'Степановская'],
  ['Васильевка', 'Васильевская'],
  ['Григорьевка', 'Григорьевская'],
  ['Дмитриевка', 'Дмитриевская'],
  ['Тимофеевка', 'Тимофеевская'],
  ['Федоровка', 'Федоровская'],
  ['Алексеевка', 'Алексеевская'],
  ['Сергеевка', 'Сергеевская'],
  ['Павловка', 'Павловская'],
  ['Антоновка', 'Антоновская'],
  ['Ильинка', 'Ильинская'],
  ['Кирилловка', 'Кирилловская'],
  ['Максимовка', 'Максимовская'],
  ['Семеновка', 'Семеновская'],
  ['Яковлевка', 'Яковлевская'],
  ['Гавриловка', 'Гавриловская'],
  ['Кузнецовка', 'Кузнецовская'],
  ['Зеленое Поле', 'Зеленопольская'],
  ['Ясная Поляна', 'Яснополянская'],
  ['Раздольное', 'Раздольненская'],
  ['Привольное', 'Привольненская'],
  ['Ключи', 'Ключевская'],
  ['Родники', 'Родниковская'],
  ['Юрьевка', 'Юрьевская'],
  ['Новорождественка', 'Новорождественская'],
  ['Черемуховка', 'Черемуховская'],
  ['Кедровка', 'Кедровская'],
  ['Боровое', 'Боровская'],
  ['Ермолаевка', 'Ермолаевская'],
];

// ---------- helpers ----------

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Splits `total` over the districts by weight (largest remainder, ties to the earlier district).
 * With at least one school per district available, every district gets one first.
 */
export function allocateSchools(total: number, districts: readonly District[]): number[] {
  const weights = districts.map((d) => DISTRICT_WEIGHTS[d.id] ?? 0);
  const base = total >= districts.length ? districts.map(() => 1) : districts.map(() => 0);
  const rest = total - base.reduce((a, b) => a + b, 0);
  const shares = weights.map((w, i) => Math.max(0, w - (base[i] ?? 0)));
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (sum === 0 ? 0 : (s * rest) / sum));
  const counts = exact.map((x, i) => (base[i] ?? 0) + Math.floor(x));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = (order[k] as { i: number }).i;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/** "Тарский район" → "Тарская" (the feminine adjective a school of the centre is named by). */
function feminineAdjective(districtNameRu: string): string {
  const first = districtNameRu.split(/\s+/)[0] ?? districtNameRu;
  return first.replace(/ий$/, 'ая').replace(/ой$/, 'ая');
}

/** "Тарский район" → "Тарский" (for "лицей"). */
function masculineAdjective(districtNameRu: string): string {
  return districtNameRu.split(/\s+/)[0] ?? districtNameRu;
}

type SchoolSize = 'city-large' | 'city-basic' | 'town' | 'centre' | 'village-secondary' | 'village-basic' | 'village-primary';

function studentsFor(rng: Rng, size: SchoolSize): number {
  switch (size) {
    case 'city-large':
      return rng.int(600, 1500);
    case 'city-basic':
      return rng.int(150, 450);
    case 'town':
      return rng.int(350, 1100);
    case 'centre':
      return rng.int(250, 800);
    case 'village-secondary':
      return rng.int(70, 380);
    case 'village-basic':
      return rng.int(18, 140);
    case 'village-primary':
      return rng.int(6, 40);
  }
}

/** Teachers to train and the planned kit, sized by the number of students. */
function staffAndKit(rng: Rng, students: number): { teachersToTrain: number; plannedKit: Kit } {
  const teachers = clamp(Math.round(students / 12) + 5, 5, 150);
  const teachersToTrain = Math.max(2, Math.round(teachers * (0.35 + rng.next() * 0.3)));
  const mobileClass = students < 40 ? 5 : students < 120 ? 10 : 15 * clamp(Math.ceil(students / 450), 1, 4);
  return {
    teachersToTrain,
    plannedKit: {
      'teacher-laptop': clamp(Math.round(teachers / 4), 2, 40),
      'student-laptop': mobileClass,
      mfp: 1 + Math.floor(students / 600),
      'interactive-panel': clamp(1 + Math.floor(students / 500), 1, 4),
      'network-equipment': 1 + Math.floor(students / 1000),
    },
  };
}

interface Draft {
  name: string;
  locality: string;
  urban: boolean;
  size: SchoolSize;
}

function cityDrafts(rng: Rng, district: District, count: number): Draft[] {
  // School numbers with gaps, as after decades of openings and closures, in ascending order.
  const pool = Array.from({ length: Math.ceil(count * 1.15) + 3 }, (_, i) => i + 1);
  const numbers = rng
    .shuffle(pool)
    .slice(0, count)
    .sort((a, b) => a - b);
  return numbers.map((n) => {
    const r = rng.next();
    const [title, size]: [string, SchoolSize] =
      r < 0.09
        ? [`Гимназия № ${n}`, 'city-large']
        : r < 0.16
          ? [`Лицей № ${n}`, 'city-large']
          : r < 0.22
            ? [`Основная общеобразовательная школа № ${n}`, 'city-basic']
            : r < 0.3
              ? [`Средняя общеобразовательная школа № ${n} с углублённым изучением отдельных предметов`, 'city-large']
              : [`Средняя общеобразовательная школа № ${n}`, 'city-large'];
    return { name: `МБОУ «${title}»`, locality: district.centerRu, urban: true, size };
  });
}

function municipalDrafts(rng: Rng, district: District, count: number, cityCentre: string): Draft[] {
  const form = rng.chance(0.6) ? 'МКОУ' : 'МБОУ';
  const adjF = feminineAdjective(district.nameRu);
  const adjM = masculineAdjective(district.nameRu);
  const centreOutside = district.centerRu === cityCentre; // administered from the city, no schools there
  const centreCount = centreOutside
    ? 0
    : Math.min(count, district.centerIsTown ? Math.max(2, Math.round(count * 0.3)) : count >= 20 ? 3 : count >= 14 ? 2 : 1);

  const drafts: Draft[] = [];
  const names = new Set<string>();
  const push = (d: Draft): boolean => {
    if (names.has(d.name)) return false;
    names.add(d.name);
    drafts.push(d);
    return true;
  };

  // Schools of the district centre.
  const urban = district.centerIsTown;
  const centreSize: SchoolSize = urban ? 'town' : 'centre';
  const specials: string[] = [];
  if (urban && centreCount >= 3) specials.push(`${adjF} гимназия`);
  if (urban && centreCount >= 5) specials.push(`${adjM} лицей`);
  const centreForm = urban ? 'МБОУ' : form; // town schools are budget-funded, villages' often state-run
  for (const title of specials) push({ name: `${centreForm} «${title}»`, locality: district.centerRu, urban, size: centreSize });
  const numbered = centreCount - specials.length;
  for (let i = 1; i <= numbered; i++) {
    const title = numbered === 1 ? `${adjF} СОШ` : `${adjF} СОШ № ${i}`;
    push({ name: `${centreForm} «${title}»`, locality: district.centerRu, urban, size: centreSize });
  }

  // Village schools, one per village while the list lasts, then numbered second schools.
  const villages = rng.shuffle(VILLAGES);
  const uses = new Map<string, number>();
  for (let k = 0; drafts.length < count; k++) {
    const [village, adj] = villages[k % villages.length] as readonly [string, string];
    const r = rng.next();
    const [type, size]: [string, SchoolSize] =
      r < 0.55 ? ['СОШ', 'village-secondary'] : r < 0.9 ? ['ООШ', 'village-basic'] : ['НОШ', 'village-primary'];
    const n = (uses.get(village) ?? 0) + 1;
    const title = n === 1 ? `${adj} ${type}` : `${adj} ${type} № ${n}`;
    if (push({ name: `${form} «${title}»`, locality: village, urban: false, size })) uses.set(village, n);
  }
  return drafts;
}

// ---------- the generator ----------

export function generateRegion(options: GenerateRegionOptions): Region {
  const total = options.schools ?? DEMO_REGION_SCHOOLS;
  if (!Number.isInteger(total) || total < 1 || total > MAX_DEMO_REGION_SCHOOLS) {
    throw new RangeError(`schools must be a whole number from 1 to ${MAX_DEMO_REGION_SCHOOLS}, got ${total}`);
  }
  const districts = OMSK_OBLAST_DISTRICTS.map((d) => ({ ...d }));
  const city = districts.find((d) => d.id === OMSK_CITY_DISTRICT_ID);
  if (!city) throw new Error('the city district is missing');
  const counts = allocateSchools(total, districts);
  const width = Math.max(4, String(total).length);

  const schools: School[] = [];
  districts.forEach((district, index) => {
    const count = counts[index] ?? 0;
    if (count === 0) return;
    // One stream per district: a change to one district's generation leaves the others as they were.
    const rng = new Rng(`${String(options.seed)}|${typeof options.seed}|${district.id}`);
    const drafts = district.id === city.id ? cityDrafts(rng, district, count) : municipalDrafts(rng, district, count, city.centerRu);
    // Cohorts spread evenly inside every district, in a shuffled order, starting at a rotating year.
    const cohortOrder = rng.shuffle(drafts.map((_, i) => i));
    const cohortOf = new Map(cohortOrder.map((draftIndex, k) => [draftIndex, 2021 + ((k + index) % 4)]));
    drafts.forEach((draft, i) => {
      const students = studentsFor(rng, draft.size);
      const { teachersToTrain, plannedKit } = staffAndKit(rng, students);
      schools.push(
        School.parse({
          id: `sch-${String(schools.length + 1).padStart(width, '0')}`,
          name: draft.name,
          district: district.id,
          locality: draft.locality,
          urban: draft.urban,
          cohortYear: cohortOf.get(i),
          plannedKit,
          teachersToTrain,
          students,
        }),
      );
    });
  });

  const contractors = CONTRACTORS.map((c, i) =>
    Contractor.parse({
      id: c.id,
      name: c.name,
      kind: c.kind,
      districts: [...c.districts],
      emails: [`${c.id}@contractors.example.org`],
      active: true,
      // One contract for the kind's milestone, the program's four years and the warranty after them, covering the districts served.
      contracts: [
        {
          number: `ЦОС-${String(i + 1).padStart(3, '0')}`,
          date: '2020-12-15',
          milestone: CONTRACT_MILESTONE[c.kind],
          districts: [...c.districts],
          schools: [],
          endDate: '2030-12-31',
        },
      ],
    }),
  );
  return { districts, schools, contractors };
}
