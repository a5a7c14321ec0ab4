/**
 * The one way to the program a school follows: `programs.forSchool(school)` reads the school's version
 * (`School.programVersion`, absent: version 1) from the table, validated by `loadProgram`, once per
 * version: a published version never changes, so it is cached for the life of the process.
 *
 * Version 1 is the reference program: a deployment whose table does not hold it yet (before the first
 * start wrote it) reads it from the code, where it comes from.
 */
import { programVersionOf, type ProgramDefinition, type School } from '../program/model.js';
import { REFERENCE_PROGRAM } from '../program/reference-program.js';
import { validateProgram } from '../program/versions.js';
import type { ProgramVersionStore } from '../store/store.js';

export interface ProgramResolver {
  /** The program whose versions it reads. */
  readonly programId: string;
  /** A published version of the program, validated; throws ProgramVersionUnavailable for a draft or a missing one. */
  version(version: number): Promise<ProgramDefinition>;
  /** The version the school follows. */
  forSchool(school: Pick<School, 'programVersion'>): Promise<ProgramDefinition>;
  /**
   * Every published version at once, for a request that meets schools of several versions: one query
   * for the list of versions, each definition validated once per process (published versions never change).
   */
  catalog(): Promise<ProgramCatalog>;
}

/** The published versions of a program, and the one each school follows, without a read per school. */
export interface ProgramCatalog {
  /** Published versions, in version order (version 1 first). */
  readonly versions: readonly { version: number; program: ProgramDefinition }[];
  /** The highest published version: what a school that joins now follows. */
  readonly latest: { version: number; program: ProgramDefinition };
  /** Every milestone key of any published version: version 1's in its order, then the ones later versions add. */
  readonly keys: readonly string[];
  /** The program of the school's version (version 1 when the school's version is not published: it never is). */
  of(school: Pick<School, 'programVersion'>): ProgramDefinition;
  /** The first published version that has the milestone, or null. */
  definingVersion(key: string): number | null;
}

/** The catalog of some published versions (version 1 among them). */
export function programCatalog(versions: readonly { version: number; program: ProgramDefinition }[]): ProgramCatalog {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const first = sorted[0];
  if (!first) throw new Error('a program catalog needs at least one published version');
  const byVersion = new Map(sorted.map((v) => [v.version, v.program]));
  const keys = [...new Set(sorted.flatMap((v) => v.program.milestones.map((m) => m.key)))];
  return {
    versions: sorted,
    latest: sorted.at(-1)!,
    keys,
    of: (school) => byVersion.get(programVersionOf(school)) ?? first.program,
    definingVersion: (key) => sorted.find((v) => v.program.milestones.some((m) => m.key === key))?.version ?? null,
  };
}

/** Per school, the milestone keys of the program version it follows (for `listSchoolSummaries`). */
export function milestonesOfVersion(catalog: ProgramCatalog): (school: School) => readonly string[] {
  const keysOf = new Map(catalog.versions.map((v) => [v.program, v.program.milestones.map((m) => m.key)]));
  return (school) => keysOf.get(catalog.of(school))!;
}

export class ProgramVersionUnavailable extends Error {
  readonly code = 'program-version-unavailable';
  constructor(
    readonly programId: string,
    readonly programVersion: number,
    reason: string,
  ) {
    super(`version ${programVersion} of program ${programId} ${reason}`);
    this.name = 'ProgramVersionUnavailable';
  }
}

export function createProgramResolver(
  store: Pick<ProgramVersionStore, 'getProgramVersion' | 'listProgramVersionStatuses'>,
  programId: string = REFERENCE_PROGRAM.id,
): ProgramResolver {
  const cache = new Map<number, Promise<ProgramDefinition>>();
  async function read(version: number): Promise<ProgramDefinition> {
    const stored = await store.getProgramVersion(programId, version);
    if (!stored) {
      if (version === 1 && programId === REFERENCE_PROGRAM.id) return REFERENCE_PROGRAM;
      throw new ProgramVersionUnavailable(programId, version, 'does not exist');
    }
    if (stored.status !== 'published') throw new ProgramVersionUnavailable(programId, version, 'is a draft, not published');
    const checked = validateProgram(programId, stored.definition);
    if (!checked.ok)
      throw new ProgramVersionUnavailable(
        programId,
        version,
        `is not a valid program: ${checked.problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`,
      );
    return checked.program;
  }
  function version(n: number): Promise<ProgramDefinition> {
    let entry = cache.get(n);
    if (!entry) {
      entry = read(n);
      cache.set(n, entry);
      // Only a published version is kept: a failure (missing, draft, a read error) is asked again next time.
      entry.catch(() => cache.delete(n));
    }
    return entry;
  }
  async function catalog(): Promise<ProgramCatalog> {
    // Numbers and statuses only: each definition is read once, by `version`, and kept.
    const listed = await store.listProgramVersionStatuses(programId);
    const numbers = new Set(listed.filter((v) => v.status === 'published').map((v) => v.version));
    // Version 1 is always there: from the table, or (before it was written) from the code.
    if (programId === REFERENCE_PROGRAM.id) numbers.add(1);
    const sorted = [...numbers].sort((a, b) => a - b);
    return programCatalog(await Promise.all(sorted.map(async (n) => ({ version: n, program: await version(n) }))));
  }
  return { programId, version, forSchool: (school) => version(programVersionOf(school)), catalog };
}
