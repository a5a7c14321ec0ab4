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
import { EvidenceKind, Id, IsoDate, MilestoneKey, MilestoneStatus, SignOffRole } from '../program/model.js';

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

// ---------- migration of schools to a version ----------
//   POST /api/programs/{programId}/versions/{version}/migration-preview  body MigrationScope -> MigrationPreview (nothing written)
//   POST /api/programs/{programId}/versions/{version}/migrations         body MigrationScope -> 202 Job

/** Which schools move: every school (`all`), the schools of a district, or a list of school ids. */
export const MigrationScope = z
  .object({
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }).strict(),
      z.object({ kind: z.literal('district'), district: Id }).strict(),
      z.object({ kind: z.literal('schools'), schoolIds: z.array(Id).min(1).max(1000) }).strict(),
    ]),
  })
  .strict()
  .meta({ id: 'MigrationScope' });
export type MigrationScope = z.infer<typeof MigrationScope>;

const Dates = z.object({ from: IsoDate, to: IsoDate }).strict();
export const SchoolMigrationView = z
  .object({
    schoolId: Id,
    from: z.number().int().min(1),
    to: z.number().int().min(1),
    added: z.array(z.object({ milestone: MilestoneKey, plannedStart: IsoDate, deadline: IsoDate }).strict()),
    removed: z.array(z.object({ milestone: MilestoneKey, status: MilestoneStatus }).strict()),
    moved: z.array(z.object({ milestone: MilestoneKey, plannedStart: Dates, deadline: Dates }).strict()),
    evidence: z.array(
      z
        .object({
          milestone: MilestoneKey,
          evidence: z.object({ from: EvidenceKind, to: EvidenceKind }).strict(),
          signOffs: z.object({ from: z.array(SignOffRole), to: z.array(SignOffRole) }).strict(),
        })
        .strict(),
    ),
    invalidated: z.array(z.object({ milestone: MilestoneKey, status: MilestoneStatus, reason: z.string() }).strict()),
  })
  .strict()
  .meta({ id: 'SchoolMigration' });

export const MigrationPreview = z
  .object({
    programId: Id,
    version: z.number().int().min(1),
    /** Schools in scope that already follow the version (nothing to do). */
    unchanged: z.array(Id),
    schools: z.array(SchoolMigrationView),
  })
  .strict()
  .meta({ id: 'MigrationPreview' });
export type MigrationPreview = z.infer<typeof MigrationPreview>;
