/**
 * Versions of a program. A program manager drafts a version, sees what is wrong with it, and publishes it;
 * a published version never changes again (the store refuses to write over it). A draft may hold anything
 * JSON (it is being edited); publishing requires `validateProgram` to find no problem.
 *
 * Pure: no I/O, no clock reads.
 */
import { z } from 'zod';
import { loadProgram, ProgramError, type ProgramProblem } from './load-program.js';
import { Id, IsoInstant, type ProgramDefinition } from './model.js';

export const ProgramVersionStatus = z.enum(['draft', 'published']);
export type ProgramVersionStatus = z.infer<typeof ProgramVersionStatus>;

/** A JSON value, as a draft may hold while it is edited. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export const Json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]),
);

export const ProgramVersion = z
  .object({
    programId: Id,
    version: z.number().int().min(1).max(99_999_999),
    status: ProgramVersionStatus,
    /** The program definition as written (a draft may be invalid; a published one passed `loadProgram`). */
    definition: Json,
    author: z.string().min(1),
    createdAt: IsoInstant,
    updatedAt: IsoInstant,
    publishedAt: IsoInstant.nullable(),
  })
  .strict();
export type ProgramVersion = z.infer<typeof ProgramVersion>;

export type ProgramValidation = { ok: true; program: ProgramDefinition } | { ok: false; problems: ProgramProblem[] };

/**
 * Every problem of a definition, each with the field it is about (`milestones.2.dependsOn.0`), or the
 * program, validated. `programId` is the program the version belongs to: a definition of another id is
 * refused.
 */
export function validateProgram(programId: string, definition: unknown): ProgramValidation {
  try {
    const program = loadProgram(definition);
    if (program.id !== programId)
      return { ok: false, problems: [{ field: 'id', reason: `must be "${programId}", the program this version belongs to` }] };
    return { ok: true, program };
  } catch (e) {
    if (e instanceof ProgramError) return { ok: false, problems: [...e.issues] };
    throw e;
  }
}
