/** Shared test data for the domain tests: a school, contractors, actors and context builders. */
import type {
  Actor,
  Contract,
  Contractor,
  DocumentRef,
  Evidence,
  EvidenceKind,
  MilestoneKey,
  MilestoneState,
  School,
} from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { initialState, type DecisionContext } from '../../shared/domain/index.js';

export const program = REFERENCE_PROGRAM;
export const TZ = program.timeZone;

export const urbanSchool: School = {
  id: 'omsk-school-17',
  name: 'МБОУ «СОШ № 17» г. Омска',
  district: 'omsk',
  locality: 'Омск',
  urban: true,
  cohortYear: 2022,
  plannedKit: { 'teacher-laptop': 10, 'student-laptop': 15, mfp: 1, 'interactive-panel': 1, 'network-equipment': 1 },
  teachersToTrain: 12,
  students: 600,
};

export const ruralSchool: School = {
  ...urbanSchool,
  id: 'azovo-school-2',
  name: 'МБОУ «Азовская СОШ № 2»',
  district: 'azovsky',
  locality: 'Азово',
  urban: false,
  cohortYear: 2021,
};

/** A contract for a milestone over the whole program period, covering what the contractor serves. */
export function regionContract(milestone: string, overrides: Partial<Contract> = {}): Contract {
  return { number: `${milestone}-1`, date: '2020-12-01', milestone, districts: [], schools: [], endDate: '2025-12-31', ...overrides };
}

function contractorOf(id: string, name: string, kind: Contractor['kind'], districts: string[], milestone: string): Contractor {
  return { id, name, kind, districts, emails: [], active: true, contracts: [regionContract(milestone)] };
}

export const contractors: Contractor[] = [
  contractorOf('rostelecom', 'ПАО «Ростелеком»', 'internet-provider', [], 'connection'),
  contractorOf('omsk-net', 'ООО «Омск-Нет»', 'internet-provider', ['omsk'], 'connection'),
  contractorOf('supplier-1', 'ООО «Поставщик»', 'equipment-supplier', [], 'equipment'),
  contractorOf('irooo', 'БУ ДПО «ИРООО»', 'training-provider', [], 'training'),
  contractorOf('far-provider', 'ООО «Дальний»', 'internet-provider', ['tarsky'], 'connection'),
];

export const manager: Actor = { role: 'program-manager', sub: 'pm-1' };
export const coordinator: Actor = { role: 'district-coordinator', sub: 'dc-omsk', district: 'omsk' };
export const otherCoordinator: Actor = { role: 'district-coordinator', sub: 'dc-tara', district: 'tarsky' };
export const viewer: Actor = { role: 'viewer', sub: 'auditor' };
export const system: Actor = { role: 'system', sub: 'system' };
export function contractorActor(org: string): Actor {
  return { role: 'contractor', sub: `${org}-user`, org };
}
export function schoolStaff(school: string): Actor {
  return { role: 'school-staff', sub: `${school}-director`, school };
}

export const T0 = new Date('2022-03-01T05:00:00Z');

/** One attached document of each type the milestone's evidence rules require. */
export function requiredDocuments(milestone: MilestoneKey): DocumentRef[] {
  const rules = program.milestones.find((m) => m.key === milestone)?.documents ?? [];
  return rules
    .filter((r) => r.required)
    .map((r, i) => ({
      id: `doc-${milestone}-${i}`,
      type: r.type,
      contentType: 'application/pdf',
      size: 1024 + i,
      sha256: String(i).repeat(64),
    }));
}

/**
 * A context with every milestone of the school in its initial state, overridden by `states`, and the
 * milestone's required documents attached.
 */
export function context(
  milestone: MilestoneKey,
  states: Partial<Record<MilestoneKey, MilestoneState>> = {},
  school: School = urbanSchool,
): DecisionContext {
  const all: Record<MilestoneKey, MilestoneState> = {};
  for (const m of program.milestones) all[m.key] = initialState(program, school, m.key, T0);
  return { program, school, milestone, states: { ...all, ...states }, contractors, documents: requiredDocuments(milestone) };
}

/** A milestone state with overrides (consistent enough for the rule under test). */
export function stateWith(key: MilestoneKey, overrides: Partial<MilestoneState>, school: School = urbanSchool): MilestoneState {
  return { ...initialState(program, school, key, T0), ...overrides };
}

export type EvidenceOf<K extends EvidenceKind> = Extract<Evidence, { kind: K }>;

export const goodEvidence: { [K in EvidenceKind]: EvidenceOf<K> } = {
  connection: { kind: 'connection', actNumber: 'А-17/2022', actDate: '2022-02-20', bandwidthMbps: 100 },
  equipment: {
    kind: 'equipment',
    actNumber: 'ТН-5',
    actDate: '2022-02-20',
    items: [
      { item: 'teacher-laptop', quantity: 10 },
      { item: 'student-laptop', quantity: 15 },
      { item: 'mfp', quantity: 1 },
      { item: 'interactive-panel', quantity: 1 },
      { item: 'network-equipment', quantity: 1 },
    ],
  },
  training: { kind: 'training', actNumber: 'УД-3', actDate: '2022-02-20', teachersTrained: 12 },
  onboarding: { kind: 'onboarding', actNumber: 'ФП-1', actDate: '2022-02-20', teacherAccounts: 40, studentAccounts: 600 },
  'content-filter': { kind: 'content-filter', filterName: 'SkyDNS', registryEntry: '4311', enabledOn: '2022-02-20' },
};
