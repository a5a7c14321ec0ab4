/**
 * The API's shapes for administration and review: the contractor register, school profile edits and
 * archiving, the schools update import, and the review queue.
 *
 *   GET   /api/contractors                              -> ContractorList
 *   POST  /api/contractors                              body ContractorInput -> 201 ContractorView
 *   GET   /api/contractors/{contractorId}               -> ContractorView (ETag: its version)
 *   PUT   /api/contractors/{contractorId}               body ContractorEdit, If-Match -> ContractorView
 *   POST  /api/contractors/{contractorId}/deactivate    body DeactivateRequest, If-Match -> DeactivateResult
 *   POST  /api/contractors/{contractorId}/reactivate    If-Match -> ContractorView
 *   GET   /api/contractors/{contractorId}/history       -> AdminHistoryPage
 *   POST  /api/imports/contractors                      body text/csv -> 201 ContractorImportResult
 *   PATCH /api/schools/{schoolId}                       body SchoolProfilePatch, If-Match -> ProfileResult
 *   POST  /api/schools/{schoolId}/archive               body ArchiveRequest, If-Match -> ProfileResult
 *   GET   /api/schools/{schoolId}/profile-history       -> AdminHistoryPage
 *   POST  /api/imports/schools/updates?dryRun=          body text/csv -> SchoolUpdatePreview
 *   GET   /api/review-queue                             -> ReviewQueue (oldest submission first)
 */
import { z } from 'zod';
import {
  AdminEvent,
  Contractor,
  Evidence,
  Id,
  IsoDate,
  IsoInstant,
  Kit,
  LocalizedText,
  MilestoneKey,
  School,
  SchoolArchive,
  SignOff,
} from '../program/model.js';
import { Cursor, Limit, MilestoneView } from './schemas.js';

export const ContractorParams = z.object({ contractorId: Id }).strict();

/** A new contractor: active from the start (deactivation has its own route). */
export const ContractorInput = Contractor.omit({ active: true }).meta({ id: 'ContractorInput' });
export type ContractorInput = z.infer<typeof ContractorInput>;

/** Everything but the id and the active flag (deactivation has its own route). */
export const ContractorEdit = ContractorInput.omit({ id: true }).meta({ id: 'ContractorEdit' });
export type ContractorEdit = z.infer<typeof ContractorEdit>;

export const ContractorView = z
  .object({ contractor: Contractor, version: z.number().int().min(1), openWork: z.number().int().min(0).optional() })
  .strict()
  .meta({ id: 'ContractorView' });
export type ContractorView = z.infer<typeof ContractorView>;

export const ContractorList = z
  .object({ items: z.array(ContractorView) })
  .strict()
  .meta({ id: 'ContractorList' });
export type ContractorList = z.infer<typeof ContractorList>;

/** One piece of open work and the contractor it goes to. */
const Reassignment = z.object({ schoolId: Id, milestone: MilestoneKey, contractor: Id }).strict();

export const DeactivateRequest = z
  .object({
    reason: z.string().trim().min(3, 'give a reason (at least 3 characters)').max(2000),
    /** Where named pieces of the contractor's open work go. */
    reassign: z.array(Reassignment).max(1000).default([]),
    /** Where the rest of its open work goes. */
    reassignRestTo: Id.optional(),
  })
  .strict()
  .meta({ id: 'DeactivateRequest' });
export type DeactivateRequest = z.infer<typeof DeactivateRequest>;

export const DeactivateResult = z
  .object({
    contractor: ContractorView,
    reassigned: z.array(Reassignment),
  })
  .strict()
  .meta({ id: 'DeactivateResult' });
export type DeactivateResult = z.infer<typeof DeactivateResult>;

export const AdminHistoryQuery = z.object({ limit: Limit.default(50), cursor: Cursor.optional() }).strict();
export const AdminHistoryPage = z
  .object({ items: z.array(AdminEvent), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: 'AdminHistoryPage' });
export type AdminHistoryPage = z.infer<typeof AdminHistoryPage>;

export const ContractorImportResult = z
  .object({ imported: z.number().int().min(0), contractorIds: z.array(Id) })
  .strict()
  .meta({ id: 'ContractorImportResult' });
export type ContractorImportResult = z.infer<typeof ContractorImportResult>;

/** The profile fields to change; those left out keep their values (`students: null` removes the count). */
export const SchoolProfilePatch = z
  .object({
    name: z.string().min(1).max(300),
    district: Id,
    locality: z.string().min(1).max(120),
    urban: z.boolean(),
    cohortYear: z.number().int().min(2021).max(2024),
    plannedKit: Kit,
    teachersToTrain: z.number().int().min(0).max(1_000),
    students: z.number().int().min(0).max(10_000).nullable(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'name at least one field to change' })
  .meta({ id: 'SchoolProfilePatch' });
export type SchoolProfilePatch = z.infer<typeof SchoolProfilePatch>;

export const ArchiveRequest = SchoolArchive.meta({ id: 'ArchiveRequest' });

export const FieldChange = z.object({ field: z.string(), from: z.unknown(), to: z.unknown() }).strict();

export const ProfileResult = z
  .object({
    school: School,
    version: z.number().int().min(0),
    changes: z.array(FieldChange),
    /** The milestones the change re-planned (or, for an archive, waived), after the change. */
    milestones: z.array(MilestoneView),
  })
  .strict()
  .meta({ id: 'ProfileResult' });
export type ProfileResult = z.infer<typeof ProfileResult>;

export const SchoolUpdateQuery = z
  .object({
    dryRun: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
  })
  .strict();

export const SchoolUpdateRow = z
  .object({
    line: z.number().int().min(2),
    schoolId: Id,
    changes: z.array(FieldChange),
    /** The milestones whose dates the change moves. */
    replans: z.array(z.object({ milestone: MilestoneKey, plannedStart: IsoDate, deadline: IsoDate, deadlineBefore: IsoDate }).strict()),
  })
  .strict();

export const SchoolUpdatePreview = z
  .object({ dryRun: z.boolean(), rows: z.array(SchoolUpdateRow), updated: z.number().int().min(0) })
  .strict()
  .meta({ id: 'SchoolUpdatePreview' });
export type SchoolUpdatePreview = z.infer<typeof SchoolUpdatePreview>;

export const ReviewItem = z
  .object({
    schoolId: Id,
    schoolName: z.string(),
    district: Id,
    milestone: MilestoneKey,
    title: LocalizedText,
    assignee: Id.nullable(),
    submittedAt: IsoInstant,
    deadline: IsoDate,
    /** What the caller is asked for: a sign-off in a role, or the acceptance. */
    waitingFor: z.enum(['school-staff', 'district-coordinator', 'acceptance']),
    evidence: Evidence.nullable(),
    signOffs: z.array(SignOff),
    version: z.number().int().min(0),
  })
  .strict()
  .meta({ id: 'ReviewItem' });
export type ReviewItem = z.infer<typeof ReviewItem>;

export const ReviewQueue = z
  .object({ items: z.array(ReviewItem) })
  .strict()
  .meta({ id: 'ReviewQueue' });
export type ReviewQueue = z.infer<typeof ReviewQueue>;
