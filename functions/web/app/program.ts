/**
 * The program and the region as the dashboard needs them: milestone titles and evidence kinds, the
 * overview targets, district names. The programme versions are read from the API once after sign-in
 * (`loadPublishedPrograms`): the milestones of every published version, each school's own version. Until
 * they arrive, the code's copies of versions 1 and 2 (the same shared modules the server runs, bundled)
 * stand in.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ProgramVersionList } from '../../../shared/api/program-versions.js';
import { REFERENCE_PROGRAM } from '../../../shared/program/reference-program.js';
import { loadProgram } from '../../../shared/program/load-program.js';
import referenceV2 from '../../../shared/program/data/reference-program-v2.json' with { type: 'json' };
import { expectedShareOfAll } from '../../../shared/program/targets.js';
import type {
  District,
  EvidenceKind,
  MilestoneDefinition,
  ProgramDefinition,
  ProgramTarget,
  School,
} from '../../../shared/program/model.js';
import { OMSK_OBLAST_DISTRICTS } from '../../../shared/region/districts.js';
import type { Lang } from './i18n.js';

export const PROGRAM = REFERENCE_PROGRAM;
export const MILESTONES: readonly MilestoneDefinition[] = PROGRAM.milestones;
export const DISTRICTS: readonly District[] = OMSK_OBLAST_DISTRICTS;

/** The published versions the dashboard knows, and every milestone of any of them by key. */
interface Known {
  versions: ReadonlyMap<number, ProgramDefinition>;
  /** Version 1's milestones in its order, then those later versions add (a later version's definition wins). */
  milestones: readonly MilestoneDefinition[];
  byKey: ReadonlyMap<string, MilestoneDefinition>;
}

function knownOf(versions: readonly { version: number; program: ProgramDefinition }[]): Known {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const byKey = new Map<string, MilestoneDefinition>();
  for (const v of sorted) for (const m of v.program.milestones) byKey.set(m.key, m);
  return { versions: new Map(sorted.map((v) => [v.version, v.program])), milestones: [...byKey.values()], byKey };
}

/** The code's copies: what the dashboard shows while the published versions load (or when they cannot). */
const FALLBACK = knownOf([
  { version: 1, program: REFERENCE_PROGRAM },
  { version: 2, program: loadProgram(referenceV2) },
]);
let known = FALLBACK;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

/**
 * Reads the published versions once (`list`: the API's list of the reference program's versions); a
 * failure keeps the code's copies and is tried again at the next call. `again` reads them anew (after a
 * version was published here).
 */
export function loadPublishedPrograms(
  list: (programId: string) => Promise<ProgramVersionList>,
  options: { again?: boolean } = {},
): Promise<void> {
  if (options.again) loading = null;
  loading ??= list(PROGRAM.id).then(
    (answer) => {
      const published = answer.items
        .filter((v) => v.status === 'published')
        .map((v) => ({ version: v.version, program: loadProgram(v.definition) }));
      // Version 1 is always there: from the table, or (before it was written) from the code.
      if (!published.some((v) => v.version === 1)) published.push({ version: 1, program: REFERENCE_PROGRAM });
      known = knownOf(published);
      for (const l of listeners) l();
    },
    () => {
      loading = null;
    },
  );
  return loading;
}

/** Re-renders the component when the published versions have arrived; gives the milestones of every one. */
export function usePublishedMilestones(): readonly MilestoneDefinition[] {
  const [, setRevision] = useState(0);
  useEffect(() => {
    const listener = () => setRevision((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return known.milestones;
}

/** Every milestone of any published version (the schools filter, the table's columns). */
export function allMilestones(): readonly MilestoneDefinition[] {
  return known.milestones;
}

export function milestoneDefinition(key: string): MilestoneDefinition | undefined {
  return known.byKey.get(key);
}

const districtById = new Map(DISTRICTS.map((d) => [d.id, d]));

export function milestoneTitle(key: string, lang: Lang): string {
  return known.byKey.get(key)?.title[lang] ?? key;
}

export function evidenceKindOf(key: string): EvidenceKind | undefined {
  return known.byKey.get(key)?.evidence;
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
