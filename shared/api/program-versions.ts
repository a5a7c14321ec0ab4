/**
 * The API's shapes for program versions:
 *   GET  /api/programs/{programId}/versions                     -> ProgramVersionList (oldest first)
 *   POST /api/programs/{programId}/versions                     body ProgramDraftBody -> 201 ProgramVersionView (a new draft)
 *   GET  /api/programs/{programId}/versions/{version}           -> ProgramVersionView
 *   PUT  /api/programs/{programId}/versions/{version}           body ProgramDraftBody -> ProgramVersionView (a draft rewritten)
 *   POST /api/programs/{programId}/versions/{version}/publish   -> ProgramVersionView, or 422 naming every problem
 * A view carries the version's validation problems (empty for a published version).
 */
import { z } from 'zod';
import { FieldError } from './schemas.js';
import { Json, ProgramVersion } from '../program/versions.js';

/**
 * A program definition at the API: any JSON while it is a draft. Checked by the recursive `Json` schema,
 * but documented as a plain object: the OpenAPI generator cannot walk a recursive union.
 */
const Definition = z
  .custom<Json>((value) => Json.safeParse(value).success, { message: 'must be a JSON value' })
  .meta({ type: 'object', description: 'The program definition (see the program model); a draft may be incomplete' });

export const ProgramVersionParams = z.object({ programId: ProgramVersion.shape.programId }).strict();
export const ProgramVersionRef = z
  .object({ programId: ProgramVersion.shape.programId, version: z.coerce.number().int().min(1).max(99_999_999) })
  .strict();

export const ProgramDraftBody = z.object({ definition: Definition }).strict();
export type ProgramDraftBody = z.infer<typeof ProgramDraftBody>;

export const ProgramVersionView = ProgramVersion.extend({
  definition: Definition,
  /** What keeps the version from being published, each at its field (`definition.milestones.2.key`). */
  problems: z.array(FieldError),
});
export type ProgramVersionView = z.infer<typeof ProgramVersionView>;

export const ProgramVersionList = z.object({ items: z.array(ProgramVersionView) }).strict();
export type ProgramVersionList = z.infer<typeof ProgramVersionList>;
