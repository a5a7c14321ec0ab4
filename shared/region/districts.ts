/**
 * The districts of the reference region: the city of Omsk and the 32 municipal districts of Omsk Oblast,
 * by their real names, from `data/omsk-oblast-districts.json` (public geography).
 *
 * District ids are stable slugs of the English names: the first word of a municipal district's name
 * ("Tarsky District" → `tarsky`, "Azovsky German National District" → `azovsky`,
 * "Russko-Polyansky District" → `russko-polyansky`) and the whole name of the city ("Omsk (city)" →
 * `omsk-city`).
 */
import { z } from 'zod';
import { District } from '../program/model.js';
import raw from './data/omsk-oblast-districts.json' with { type: 'json' };

const RawDistrict = z
  .object({
    name_ru: z.string().min(1),
    name_en: z.string().min(1),
    center_ru: z.string().min(1),
    center_is_town: z.boolean(),
  })
  .strict();

const RawRegion = z.object({
  region_ru: z.string().min(1),
  region_en: z.string().min(1),
  time_zone: z.string().min(1),
  city_district: RawDistrict,
  municipal_districts: z.array(RawDistrict).min(1),
  note: z.string().optional(),
});

/** Lower-case ASCII slug: runs of anything but letters and digits become one "-". */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The id of a district from its English name (see the module comment for the rule). */
export function districtSlug(nameEn: string, isCity = false): string {
  const source = isCity ? nameEn : (nameEn.trim().split(/\s+/)[0] ?? '');
  const slug = slugify(source);
  if (slug === '') throw new Error(`cannot derive a district id from "${nameEn}"`);
  return slug;
}

const region = RawRegion.parse(raw);

function toDistrict(d: z.infer<typeof RawDistrict>, isCity: boolean): District {
  return District.parse({
    id: districtSlug(d.name_en, isCity),
    nameRu: d.name_ru,
    nameEn: d.name_en,
    centerRu: d.center_ru,
    centerIsTown: d.center_is_town,
  });
}

/** Id of the city district (the regional capital). */
export const OMSK_CITY_DISTRICT_ID = districtSlug(region.city_district.name_en, true);

export const OMSK_OBLAST = Object.freeze({
  nameRu: region.region_ru,
  nameEn: region.region_en,
  /** IANA time zone of the region: deadlines and reminders are local to it. */
  timeZone: region.time_zone,
  cityDistrictId: OMSK_CITY_DISTRICT_ID,
});

/** The 33 districts, the city first, then the municipal districts in the order of the source list. */
export const OMSK_OBLAST_DISTRICTS: readonly District[] = Object.freeze(
  [toDistrict(region.city_district, true), ...region.municipal_districts.map((d) => toDistrict(d, false))].map((d) => Object.freeze(d)),
);

{
  const ids = new Set(OMSK_OBLAST_DISTRICTS.map((d) => d.id));
  if (ids.size !== OMSK_OBLAST_DISTRICTS.length) throw new Error('district ids derived from the English names collide');
}

/** Case-, ё- and spacing-insensitive form used to compare names typed by people. */
export function normalizeName(text: string): string {
  return text.trim().toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ');
}

/**
 * Finds a district by its id, its Russian name or its English name, ignoring case, "ё"/"е" and spacing;
 * the names are also accepted without the word "район" / "District" ("Тарский", "Tarsky").
 * A short form that would fit two districts is not accepted.
 */
export function createDistrictResolver(districts: readonly District[]): (value: string) => District | undefined {
  const byAlias = new Map<string, District>();
  const ambiguous = new Set<string>();
  const add = (alias: string, d: District): void => {
    const key = normalizeName(alias);
    if (key === '' || ambiguous.has(key)) return;
    const seen = byAlias.get(key);
    if (seen && seen.id !== d.id) {
      byAlias.delete(key);
      ambiguous.add(key);
      return;
    }
    byAlias.set(key, d);
  };
  // Full forms first, so that a short form never shadows another district's full name.
  for (const d of districts) {
    add(d.id, d);
    add(d.nameRu, d);
    add(d.nameEn, d);
  }
  const full = new Set(byAlias.keys());
  for (const d of districts) {
    for (const short of [d.nameRu.replace(/\s+район$/i, ''), d.nameEn.replace(/\s+district$/i, '')]) {
      if (!full.has(normalizeName(short))) add(short, d);
    }
  }
  return (value) => byAlias.get(normalizeName(value));
}
