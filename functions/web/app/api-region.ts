/**
 * The dashboard's calls for running a region: the contractor register, school profile edits and
 * archiving, the CSV imports and bulk jobs. Every answer is validated with the API's own schemas.
 */
import {
  ContractorImportResult,
  ContractorList,
  ContractorView,
  DeactivateResult,
  ProfileResult,
  SchoolUpdatePreview,
  type ContractorEdit,
  type ContractorInput,
  type DeactivateRequest,
  type SchoolProfilePatch,
} from '../../../shared/api/administration.js';
import { Job, type BulkFilter } from '../../../shared/api/schemas.js';
import type { CommandType, SchoolArchive } from '../../../shared/program/model.js';
import { request } from './api.js';

const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });
const contractorPath = (id: string) => `contractors/${encodeURIComponent(id)}`;
const schoolPath = (id: string) => `schools/${encodeURIComponent(id)}`;

export const regionApi = {
  contractors: () => request(ContractorList, 'contractors'),
  contractor: (id: string) => request(ContractorView, contractorPath(id)),
  createContractor: (input: ContractorInput) => request(ContractorView, 'contractors', { method: 'POST', body: input }),
  updateContractor: (id: string, edit: ContractorEdit, version: number) =>
    request(ContractorView, contractorPath(id), { method: 'PUT', body: edit, headers: ifMatch(version) }),
  deactivateContractor: (id: string, body: DeactivateRequest, version: number) =>
    request(DeactivateResult, `${contractorPath(id)}/deactivate`, { method: 'POST', body, headers: ifMatch(version) }),
  reactivateContractor: (id: string, version: number) =>
    request(ContractorView, `${contractorPath(id)}/reactivate`, { method: 'POST', headers: ifMatch(version) }),
  importContractors: (csv: string) => request(ContractorImportResult, 'imports/contractors', { method: 'POST', csv }),

  editSchool: (id: string, patch: SchoolProfilePatch, version: number) =>
    request(ProfileResult, schoolPath(id), { method: 'PATCH', body: patch, headers: ifMatch(version) }),
  archiveSchool: (id: string, archive: SchoolArchive, version: number) =>
    request(ProfileResult, `${schoolPath(id)}/archive`, { method: 'POST', body: archive, headers: ifMatch(version) }),
  importSchools: (csv: string) => request(Job, 'imports/schools', { method: 'POST', csv }),
  updateSchools: (csv: string, dryRun: boolean) =>
    request(SchoolUpdatePreview, 'imports/schools/updates', { method: 'POST', csv, query: { dryRun: dryRun ? 'true' : 'false' } }),

  bulk: (action: Exclude<CommandType, 'signoff' | 'replan'>, milestone: string, filter: BulkFilter, body: unknown) =>
    request(Job, `bulk/${action}`, { method: 'POST', body: { milestone, filter, body } }),
  job: (id: string) => request(Job, `jobs/${encodeURIComponent(id)}`),
};

/** Polls a job until it is done or failed, calling `onProgress` with each reading. */
export async function followJob(id: string, onProgress: (job: Job) => void, intervalMs = 500): Promise<Job> {
  for (;;) {
    const job = await regionApi.job(id);
    onProgress(job);
    if (job.status === 'done' || job.status === 'failed') return job;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
