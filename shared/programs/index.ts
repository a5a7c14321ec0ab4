/**
 * Program versions kept in the table: the reference program as version 1, drafts, publishing.
 *
 * `ensureProgramVersion1` is what a new deployment runs (at the first start, or from the administration
 * command): it writes the reference program, published, as version 1 unless a version 1 exists.
 */
import type { Actor } from '../program/model.js';
import { REFERENCE_PROGRAM_DATA } from '../program/reference-program.js';
import { validateProgram, type Json, type ProgramVersion } from '../program/versions.js';
import type { ProgramProblem } from '../program/load-program.js';
import type { ProgramVersionStore } from '../store/store.js';
import referenceV2 from '../program/data/reference-program-v2.json' with { type: 'json' };

export { createProgramResolver, ProgramVersionUnavailable, type ProgramResolver } from './resolver.js';

/** The reference program's id: the program every school follows unless migrated elsewhere. */
export const REFERENCE_PROGRAM_ID = REFERENCE_PROGRAM_DATA.id;

/** Writes the reference program as published version 1 when there is none; true when it wrote it. */
export async function ensureProgramVersion1(store: ProgramVersionStore, now: Date): Promise<boolean> {
  const at = now.toISOString();
  return store.putProgramVersionIfAbsent({
    programId: REFERENCE_PROGRAM_ID,
    version: 1,
    status: 'published',
    definition: REFERENCE_PROGRAM_DATA as unknown as Json,
    author: 'system',
    createdAt: at,
    updatedAt: at,
    publishedAt: at,
  });
}

export type PublishOutcome =
  | { ok: true; version: ProgramVersion }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'not-draft' }
  | { ok: false; reason: 'invalid'; problems: ProgramProblem[] };

/**
 * Publishes a draft: validated by the same model and checks as every program (`validateProgram`), and
 * written only when it has no problem at all; otherwise nothing is written and every problem is returned.
 */
export async function publishDraft(
  store: ProgramVersionStore,
  programId: string,
  version: number,
  actor: Actor,
  now: Date,
): Promise<PublishOutcome> {
  const draft = await store.getProgramVersion(programId, version);
  if (!draft) return { ok: false, reason: 'not-found' };
  if (draft.status !== 'draft') return { ok: false, reason: 'not-draft' };
  const checked = validateProgram(programId, draft.definition);
  if (!checked.ok) return { ok: false, reason: 'invalid', problems: checked.problems };
  const at = now.toISOString();
  const published: ProgramVersion = {
    ...draft,
    status: 'published',
    updatedAt: at,
    publishedAt: at,
    author: draft.author === actor.sub ? draft.author : `${draft.author}, ${actor.sub}`,
  };
  await store.publishProgramVersion(published);
  return { ok: true, version: published };
}

/** The next version number of a program: one more than the highest stored. */
export async function nextVersionNumber(store: ProgramVersionStore, programId: string): Promise<number> {
  const versions = await store.listProgramVersions(programId);
  return (versions.at(-1)?.version ?? 0) + 1;
}

/** Version 2 of the reference program as data: version 1 and content filtering at every connected school. */
export const REFERENCE_PROGRAM_V2_DATA: Json = referenceV2 as unknown as Json;

/**
 * Writes version 2 of the reference program unless a version 2 exists: as a draft (the first start, so a
 * program manager reviews, publishes and migrates schools to it) or published (a simulation on it).
 * True when it wrote it.
 */
export async function ensureReferenceVersion2(store: ProgramVersionStore, now: Date, status: 'draft' | 'published'): Promise<boolean> {
  const at = now.toISOString();
  const version: ProgramVersion = {
    programId: REFERENCE_PROGRAM_ID,
    version: 2,
    status,
    definition: REFERENCE_PROGRAM_V2_DATA,
    author: 'system',
    createdAt: at,
    updatedAt: at,
    publishedAt: status === 'published' ? at : null,
  };
  if (status === 'published') return store.putProgramVersionIfAbsent(version);
  try {
    await store.saveProgramDraft(version, { create: true });
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'version-exists' || (e as { code?: unknown }).code === 'version-published') return false;
    throw e;
  }
}
