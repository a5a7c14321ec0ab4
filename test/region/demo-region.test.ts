import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Contractor, District, School } from '../../shared/program/model.js';
import {
  CONTRACTOR_KINDS,
  OMSK_CITY_DISTRICT_ID,
  OMSK_OBLAST_DISTRICTS,
  Rng,
  allocateSchools,
  createDistrictResolver,
  generateRegion,
} from '../../shared/region/index.js';
import { defaultAssignee, servesDistrict } from '../../shared/domain/index.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import source from '../../shared/region/data/omsk-oblast-districts.json' with { type: 'json' };

const sha256 = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

const region = generateRegion({ seed: 2021 });
const districtById = new Map(region.districts.map((d) => [d.id, d]));

describe('Rng', () => {
  it('repeats its sequence for a seed and differs for another', () => {
    const draw = (seed: number | string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 8 }, () => rng.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw('seven')).toEqual(draw('seven'));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7)).not.toEqual(draw('7'));
    for (const x of draw(42)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('int() stays in its bounds and reaches both ends', () => {
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const x = rng.int(3, 6);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThanOrEqual(6);
      seen.add(x);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
    expect(() => rng.int(5, 4)).toThrow(RangeError);
  });
});

describe('districts', () => {
  it('are the city and the 32 municipal districts by their real names, with slug ids', () => {
    expect(OMSK_OBLAST_DISTRICTS).toHaveLength(33);
    const expectedRu = [source.city_district.name_ru, ...source.municipal_districts.map((d) => d.name_ru)];
    expect(OMSK_OBLAST_DISTRICTS.map((d) => d.nameRu)).toEqual(expectedRu);
    expect(OMSK_OBLAST_DISTRICTS.map((d) => d.nameEn)).toEqual([
      source.city_district.name_en,
      ...source.municipal_districts.map((d) => d.name_en),
    ]);
    for (const d of OMSK_OBLAST_DISTRICTS) expect(District.safeParse(d).success).toBe(true);
    const ids = OMSK_OBLAST_DISTRICTS.map((d) => d.id);
    expect(new Set(ids).size).toBe(33);
    expect(ids).toEqual(expect.arrayContaining(['omsk-city', 'azovsky', 'tarsky', 'russko-polyansky', 'ust-ishimsky', 'omsky']));
    expect(OMSK_CITY_DISTRICT_ID).toBe('omsk-city');
    const tarsky = OMSK_OBLAST_DISTRICTS.find((d) => d.id === 'tarsky');
    expect(tarsky).toEqual({ id: 'tarsky', nameRu: 'Тарский район', nameEn: 'Tarsky District', centerRu: 'Тара', centerIsTown: true });
  });

  it('are found by id, Russian or English name, in any case, with or without "район"/"District"', () => {
    const resolve = createDistrictResolver(OMSK_OBLAST_DISTRICTS);
    for (const value of ['tarsky', 'TARSKY', 'Тарский район', 'тарский РАЙОН', 'Tarsky District', ' tarsky  district ', 'Тарский']) {
      expect(resolve(value)?.id, value).toBe('tarsky');
    }
    expect(resolve('Омский район')?.id).toBe('omsky');
    expect(resolve('Omsk (city)')?.id).toBe('omsk-city');
    expect(resolve('городской округ город Омск')?.id).toBe('omsk-city');
    expect(resolve('Азовский немецкий национальный район')?.id).toBe('azovsky');
    expect(resolve('Тарск')).toBeUndefined();
    expect(resolve('')).toBeUndefined();
  });
});

describe('generateRegion', () => {
  it('gives byte-identical output for the same seed and different output for another', () => {
    const again = generateRegion({ seed: 2021 });
    expect(again).toEqual(region);
    expect(JSON.stringify(again)).toBe(JSON.stringify(region));
    expect(sha256(again)).toBe(sha256(region));
    const other = generateRegion({ seed: 2022 });
    expect(sha256(other)).not.toBe(sha256(region));
    expect(other.schools.map((s) => s.name)).not.toEqual(region.schools.map((s) => s.name));
    expect(generateRegion({ seed: 'omsk' })).toEqual(generateRegion({ seed: 'omsk' }));
  });

  it('does not share state between calls (results are independent copies)', () => {
    const a = generateRegion({ seed: 5, schools: 60 });
    (a.districts[0] as District).nameRu = 'changed';
    (a.schools[0] as School).name = 'changed';
    const b = generateRegion({ seed: 5, schools: 60 });
    expect(b.districts[0]?.nameRu).toBe('городской округ город Омск');
    expect(b.schools[0]?.name).not.toBe('changed');
    expect(OMSK_OBLAST_DISTRICTS[0]?.nameRu).toBe('городской округ город Омск');
  });

  it('has 750 schools: about 150 in the city, 10 to 30 in every district', () => {
    expect(region.districts).toEqual(OMSK_OBLAST_DISTRICTS);
    expect(region.schools).toHaveLength(750);
    const perDistrict = new Map<string, number>();
    for (const s of region.schools) perDistrict.set(s.district, (perDistrict.get(s.district) ?? 0) + 1);
    expect(perDistrict.size).toBe(33);
    expect(perDistrict.get('omsk-city')).toBe(150);
    for (const d of region.districts.filter((d) => d.id !== 'omsk-city')) {
      const n = perDistrict.get(d.id) ?? 0;
      expect(n, d.id).toBeGreaterThanOrEqual(10);
      expect(n, d.id).toBeLessThanOrEqual(30);
    }
  });

  it('gives schools that pass the School schema, with unique stable ids and unique names per district', () => {
    for (const s of region.schools) expect(School.parse(s)).toEqual(s);
    const ids = region.schools.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('sch-0001');
    expect(ids[749]).toBe('sch-0750');
    expect(ids).toEqual(ids.map((_, i) => `sch-${String(i + 1).padStart(4, '0')}`));
    const names = new Set(region.schools.map((s) => `${s.district}|${s.name}`));
    expect(names.size).toBe(region.schools.length);
    for (const s of region.schools) expect(districtById.has(s.district)).toBe(true);
  });

  it('names schools plausibly', () => {
    const city = region.schools.filter((s) => s.district === 'omsk-city');
    for (const s of city) {
      expect(s.name).toMatch(
        /^МБОУ «(Средняя общеобразовательная школа|Основная общеобразовательная школа|Гимназия|Лицей) № \d+( с углублённым изучением отдельных предметов)?»$/,
      );
    }
    expect(city.some((s) => s.name.includes('Гимназия'))).toBe(true);
    expect(city.some((s) => s.name.includes('Лицей'))).toBe(true);
    const tara = region.schools.filter((s) => s.district === 'tarsky' && s.locality === 'Тара');
    expect(tara.length).toBeGreaterThan(1);
    expect(tara.some((s) => /«Тарская СОШ № \d+»$/.test(s.name))).toBe(true);
    const rural = region.schools.filter((s) => s.district !== 'omsk-city' && !s.urban);
    for (const s of rural) expect(s.name).toMatch(/^М[БК]ОУ «[А-ЯЁ][А-ЯЁа-яё-]+ (СОШ|ООШ|НОШ|гимназия|лицей)( № \d+)?»$/);
  });

  it('makes a school urban exactly when it is in the city or in a district centre that is a town', () => {
    for (const s of region.schools) {
      const d = districtById.get(s.district) as District;
      expect(s.urban, `${s.id} ${s.name}`).toBe(d.centerIsTown && s.locality === d.centerRu);
    }
    const omsky = region.schools.filter((s) => s.district === 'omsky');
    expect(omsky.length).toBeGreaterThan(0);
    for (const s of omsky) {
      expect(s.locality).not.toBe('Омск');
      expect(s.urban).toBe(false);
    }
    for (const d of region.districts.filter((d) => d.centerIsTown && d.id !== 'omsky')) {
      expect(
        region.schools.some((s) => s.district === d.id && s.urban),
        d.id,
      ).toBe(true);
    }
    const urban = region.schools.filter((s) => s.urban).length;
    expect(urban).toBeGreaterThan(150);
    expect(urban).toBeLessThan(300);
  });

  it('spreads cohorts 2021-2024 evenly, in the region and in each district', () => {
    const perYear = new Map<number, number>();
    for (const s of region.schools) perYear.set(s.cohortYear, (perYear.get(s.cohortYear) ?? 0) + 1);
    expect([...perYear.keys()].sort()).toEqual([2021, 2022, 2023, 2024]);
    for (const n of perYear.values()) {
      expect(n).toBeGreaterThanOrEqual(170);
      expect(n).toBeLessThanOrEqual(205);
    }
    for (const d of region.districts) {
      const years = new Map<number, number>();
      for (const s of region.schools.filter((s) => s.district === d.id)) years.set(s.cohortYear, (years.get(s.cohortYear) ?? 0) + 1);
      expect(Math.max(...years.values()) - Math.min(...years.values()), d.id).toBeLessThanOrEqual(1);
    }
  });

  it('sizes kits and training by the size of the school', () => {
    for (const s of region.schools) {
      expect(s.students).toBeGreaterThan(0);
      expect(Object.keys(s.plannedKit).sort()).toEqual([
        'interactive-panel',
        'mfp',
        'network-equipment',
        'student-laptop',
        'teacher-laptop',
      ]);
      for (const q of Object.values(s.plannedKit)) expect(q).toBeGreaterThanOrEqual(1);
      expect(s.teachersToTrain).toBeGreaterThanOrEqual(2);
    }
    const bySize = region.schools.slice().sort((a, b) => (a.students ?? 0) - (b.students ?? 0));
    const small = bySize.slice(0, 50);
    const large = bySize.slice(-50);
    const mean = (xs: School[], f: (s: School) => number) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    expect(mean(large, (s) => s.plannedKit['student-laptop'] ?? 0)).toBeGreaterThan(
      mean(small, (s) => s.plannedKit['student-laptop'] ?? 0),
    );
    expect(mean(large, (s) => s.plannedKit['teacher-laptop'] ?? 0)).toBeGreaterThan(
      mean(small, (s) => s.plannedKit['teacher-laptop'] ?? 0),
    );
    expect(mean(large, (s) => s.teachersToTrain)).toBeGreaterThan(mean(small, (s) => s.teachersToTrain));
    expect(
      mean(
        region.schools.filter((s) => s.urban),
        (s) => s.students ?? 0,
      ),
    ).toBeGreaterThan(
      mean(
        region.schools.filter((s) => !s.urban),
        (s) => s.students ?? 0,
      ),
    );
  });

  it('scales to other totals and refuses impossible ones', () => {
    for (const total of [1, 10, 33, 100, 1500]) {
      const r = generateRegion({ seed: 3, schools: total });
      expect(r.schools).toHaveLength(total);
      expect(new Set(r.schools.map((s) => s.id)).size).toBe(total);
      for (const s of r.schools) expect(School.safeParse(s).success).toBe(true);
      if (total >= 33) expect(new Set(r.schools.map((s) => s.district)).size).toBe(33);
    }
    expect(allocateSchools(750, OMSK_OBLAST_DISTRICTS).reduce((a, b) => a + b, 0)).toBe(750);
    expect(() => generateRegion({ seed: 1, schools: 0 })).toThrow(RangeError);
    expect(() => generateRegion({ seed: 1, schools: 2.5 })).toThrow(RangeError);
  });
});

describe('contractors', () => {
  it('are 3 to 5 of each kind, valid, with unique ids and names, some regional and some local', () => {
    for (const c of region.contractors) expect(Contractor.parse(c)).toEqual(c);
    expect(new Set(region.contractors.map((c) => c.id)).size).toBe(region.contractors.length);
    expect(new Set(region.contractors.map((c) => c.name)).size).toBe(region.contractors.length);
    for (const kind of CONTRACTOR_KINDS) {
      const ofKind = region.contractors.filter((c) => c.kind === kind);
      expect(ofKind.length, kind).toBeGreaterThanOrEqual(3);
      expect(ofKind.length, kind).toBeLessThanOrEqual(5);
      expect(
        ofKind.some((c) => c.districts.length === 0),
        kind,
      ).toBe(true);
      expect(
        ofKind.some((c) => c.districts.length > 0),
        kind,
      ).toBe(true);
    }
    for (const c of region.contractors) for (const d of c.districts) expect(districtById.has(d), `${c.id}: ${d}`).toBe(true);
  });

  it('serve every district for each kind', () => {
    for (const kind of CONTRACTOR_KINDS) {
      for (const d of region.districts) {
        expect(
          region.contractors.some((c) => c.kind === kind && servesDistrict(c, d.id)),
          `${kind} in ${d.id}`,
        ).toBe(true);
      }
    }
  });

  it('the default assignee is, deterministically, an active contractor of the kind under contract for the school', () => {
    const used = new Set<string>();
    const byId = new Map(region.contractors.map((c) => [c.id, c]));
    const defs = REFERENCE_PROGRAM.milestones.filter((m) => (CONTRACTOR_KINDS as readonly string[]).includes(m.assignee));
    for (const s of region.schools) {
      for (const def of defs) {
        const id = defaultAssignee(def, s, region.contractors, '2021-06-01');
        expect(id).not.toBeNull();
        const c = byId.get(id!) as Contractor;
        expect(c.kind).toBe(def.assignee);
        expect(servesDistrict(c, s.district)).toBe(true);
        expect(c.contracts.some((k) => k.milestone === def.key)).toBe(true);
        expect(defaultAssignee(def, s, region.contractors.slice().reverse(), '2021-06-01')).toBe(id);
        used.add(id!);
      }
    }
    // The work is spread: every contractor gets some schools.
    expect(used.size).toBe(region.contractors.length);
    const tarsky = region.schools.find((s) => s.district === 'tarsky') as School;
    const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
    expect(
      defaultAssignee(
        connection,
        tarsky,
        region.contractors.filter((c) => c.districts.length > 0 && !c.districts.includes('tarsky')),
        '2021-06-01',
      ),
    ).toBeNull();
    // Out of the contracts' period nobody is eligible.
    expect(defaultAssignee(connection, tarsky, region.contractors, '2031-01-01')).toBeNull();
  });
});
