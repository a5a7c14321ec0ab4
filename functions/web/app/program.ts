/**
 * The program and the region as the dashboard needs them: milestone titles and evidence kinds, the
 * overview targets, district names. They come from the same shared modules the server runs, bundled.
 */
import { REFERENCE_PROGRAM } from '../../../shared/program/reference-program.js';
import { loadProgram } from '../../../shared/program/load-program.js';
import referenceV2 from '../../../shared/program/data/reference-program-v2.json' with { type: 'json' };
import { expectedShareOfAll } from '../../../shared/program/targets.js';
import type { District, EvidenceKind, MilestoneDefinition, ProgramTarget, School } from '../../../shared/program/model.js';
import { OMSK_OBLAST_DISTRICTS } from '../../../shared/region/districts.js';
import type { Lang } from './i18n.js';

export const PROGRAM = REFERENCE_PROGRAM;
export const MILESTONES: readonly MilestoneDefinition[] = PROGRAM.milestones;
export const DISTRICTS: readonly District[] = OMSK_OBLAST_DISTRICTS;

/** Titles and evidence kinds of every milestone of the shipped versions (version 2 adds content filtering). */
const byKey = new Map([...loadProgram(referenceV2).milestones, ...MILESTONES].map((m) => [m.key, m]));
const districtById = new Map(DISTRICTS.map((d) => [d.id, d]));

export function milestoneTitle(key: string, lang: Lang): string {
  return byKey.get(key)?.title[lang] ?? key;
}

export function evidenceKindOf(key: string): EvidenceKind | undefined {
  return byKey.get(key)?.evidence;
}

export function districtName(id: string | null | undefined, lang: Lang): string {
  if (!id) return '';
  const d = districtById.get(id);
  if (!d) return id;
  // The official name of the city district starts in lower case ("городской округ город Омск").
  const name = lang === 'ru' ? d.nameRu : d.nameEn;
  return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
}

/** Districts sorted for a list: the city first, then by name in the current language. */
export function sortedDistricts(lang: Lang): District[] {
  const [city, ...rest] = DISTRICTS;
  const name = (d: District) => (lang === 'ru' ? d.nameRu : d.nameEn);
  return [...(city ? [city] : []), ...[...rest].sort((a, b) => name(a).localeCompare(name(b), lang))];
}

export interface TargetPoint {
  date: string;
  /** Expected share of all the schools shown (cohort targets count only the cohorts due by then). */
  share: number;
  target: ProgramTarget;
}

export function targetsFor(milestone: string, schools: readonly Pick<School, 'cohortYear'>[]): TargetPoint[] {
  return PROGRAM.targets
    .filter((t) => t.milestone === milestone)
    .map((t) => ({ date: t.date, share: expectedShareOfAll(t, schools), target: t }))
    .sort((a, b) => a.date.localeCompare(b.date));
}
