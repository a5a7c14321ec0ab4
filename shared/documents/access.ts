/**
 * Who may do what with evidence documents. Pure.
 *
 * | actor                | upload                                   | list and open                          | dossier |
 * |----------------------|------------------------------------------|----------------------------------------|---------|
 * | program-manager      | no (managers review, they do not submit) | every document                         | yes     |
 * | district-coordinator | no                                       | every document of its district         | its district |
 * | contractor           | to a milestone assigned to its org       | the documents its own org uploaded     | no      |
 * | school-staff         | to any milestone of its school (its own work, and the acceptance documents it signs) | every document of its school | no |
 * | viewer               | no                                       | none: documents carry signatures and personal data; viewers read the register and the reports | no |
 *
 * Removing a document from an open submission: whoever may upload it again — the uploading contractor's
 * organisation, or the school's staff for what the school uploaded — and only a document no submission
 * has carried yet (that rule needs the history: the route checks it).
 */
import type { Actor, MilestoneState, School } from '../program/model.js';
import type { DocumentRecord } from './model.js';

export type Denial = { ok: false; reason: string };
export type Access = { ok: true } | Denial;

const allowed: Access = { ok: true };
const deny = (reason: string): Denial => ({ ok: false, reason });

export function isSchoolStaff(actor: Actor, school: School): boolean {
  return actor.role === 'school-staff' && actor.school === school.id;
}

/** May the actor see the school's documents at all (the list, the verification)? */
export function mayListDocuments(actor: Actor, school: School): Access {
  switch (actor.role) {
    case 'program-manager':
    case 'system':
      return allowed;
    case 'district-coordinator':
      return actor.district === school.district
        ? allowed
        : deny(`school ${school.id} is in district ${school.district}; you coordinate ${actor.district}`);
    case 'contractor':
      return allowed; // filtered to its own organisation's uploads by mayReadDocument
    case 'school-staff':
      return isSchoolStaff(actor, school) ? allowed : deny(`you are staff of school ${actor.school}, not ${school.id}`);
    case 'viewer':
      return deny('viewers read the register and the reports, not the documents (they carry signatures and personal data)');
  }
}

export function mayReadDocument(actor: Actor, school: School, document: DocumentRecord): Access {
  const listing = mayListDocuments(actor, school);
  if (!listing.ok) return listing;
  if (actor.role !== 'contractor') return allowed;
  return document.uploadedBy.org === actor.org ? allowed : deny(`document ${document.id} was uploaded by another organisation`);
}

/** Uploading evidence: the milestone's assignee, or the school's own staff for its school. */
export function mayUpload(actor: Actor, school: School, state: MilestoneState): Access {
  if (isSchoolStaff(actor, school)) return allowed;
  if (actor.role !== 'contractor')
    return deny('documents are uploaded by the contractor doing the work or by the school; managers review them');
  if (state.assignee === actor.org) return allowed;
  return deny(`milestone ${state.key} of school ${school.id} is not assigned to ${actor.org}`);
}

/** Removing a document from the open submission: the organisation (contractor or school) that uploaded it. */
export function mayRemoveDocument(actor: Actor, school: School, document: DocumentRecord): Access {
  const by = document.uploadedBy;
  if (actor.role === 'contractor' && by.role === 'contractor' && by.org === actor.org) return allowed;
  if (isSchoolStaff(actor, school) && by.role === 'school-staff' && by.org === school.id) return allowed;
  return deny(`document ${document.id} is removed only by the organisation that uploaded it, while its submission is open`);
}

/** The school's dossier (history and every document): program managers and the school's district coordinator. */
export function mayDownloadDossier(actor: Actor, school: School): Access {
  if (actor.role === 'program-manager') return allowed;
  if (actor.role === 'district-coordinator') {
    return actor.district === school.district
      ? allowed
      : deny(`school ${school.id} is in district ${school.district}; you coordinate ${actor.district}`);
  }
  return deny("the school's dossier is for program managers and the school's district coordinator");
}
