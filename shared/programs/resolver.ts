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
  store: Pick<ProgramVersionStore, 'getProgramVersion'>,
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
  return { programId, version, forSchool: (school) => version(programVersionOf(school)) };
}
