import { beforeAll, describe, expect, it } from 'vitest';
import { createStore, StoreError, type MilestoneStore } from '../../shared/store/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { REFERENCE_PROGRAM, REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import type { Json, ProgramVersion } from '../../shared/program/versions.js';
import {
  createProgramResolver,
  ensureProgramVersion1,
  nextVersionNumber,
  publishDraft,
  REFERENCE_PROGRAM_ID,
} from '../../shared/programs/index.js';
import { createTestTable } from '../support/table.js';

const REFERENCE_PROGRAM_DATA_JSON: unknown = JSON.parse(JSON.stringify(REFERENCE_PROGRAM_DATA));

let store: MilestoneStore;
const clock = new VirtualClock('2022-03-01T09:00:00.000Z');
const manager = { role: 'program-manager' as const, sub: 'manager-1' };

beforeAll(async () => {
  store = createStore({ ...(await createTestTable('program-versions')), clock });
});

const draft = (version: number, definition: Json, at = '2022-03-01T09:00:00.000Z'): ProgramVersion => ({
  programId: REFERENCE_PROGRAM_ID,
  version,
  status: 'draft',
  definition,
  author: 'manager-1',
  createdAt: at,
  updatedAt: at,
  publishedAt: null,
});

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof StoreError) return e.code;
    throw e;
  }
};

describe('program versions in the table', () => {
  it('version 1 is the reference program, written once whoever asks', async () => {
    expect(await ensureProgramVersion1(store, clock.now())).toBe(true);
    expect(await ensureProgramVersion1(store, new Date('2023-01-01T00:00:00Z'))).toBe(false);
    const v1 = (await store.getProgramVersion(REFERENCE_PROGRAM_ID, 1))!;
    expect(v1).toMatchObject({ version: 1, status: 'published', publishedAt: '2022-03-01T09:00:00.000Z' });
    expect(v1.definition).toMatchObject({
      id: REFERENCE_PROGRAM_ID,
      milestones: REFERENCE_PROGRAM.milestones.map((m) => ({ key: m.key })),
    });
    expect(await nextVersionNumber(store, REFERENCE_PROGRAM_ID)).toBe(2);
  });

  it('a published version never changes: neither a draft nor a publish may write over it', async () => {
    const before = await store.getProgramVersion(REFERENCE_PROGRAM_ID, 1);
    expect(await code(store.saveProgramDraft(draft(1, { anything: true })))).toBe('version-published');
    expect(await code(store.saveProgramDraft(draft(1, { anything: true }), { create: true }))).toBe('version-published');
    expect(await code(store.publishProgramVersion({ ...before!, publishedAt: '2024-01-01T00:00:00.000Z' }))).toBe('version-not-draft');
    expect(await publishDraft(store, REFERENCE_PROGRAM_ID, 1, manager, clock.now())).toEqual({ ok: false, reason: 'not-draft' });
    expect(await store.getProgramVersion(REFERENCE_PROGRAM_ID, 1)).toEqual(before);
  });

  it('a draft may hold an invalid program; publishing it is refused with every problem named, and nothing changes', async () => {
    const broken = structuredClone(REFERENCE_PROGRAM_DATA_JSON) as { milestones: { key: string; dependsOn: string[] }[]; timeZone: string };
    broken.timeZone = 'Asia/Nowhere';
    broken.milestones.push({ ...broken.milestones[0]! });
    broken.milestones[3]!.dependsOn = ['connection', 'filtering'];
    await store.saveProgramDraft(draft(2, broken as unknown as Json), { create: true });
    expect(await code(store.saveProgramDraft(draft(2, broken as unknown as Json), { create: true }))).toBe('version-exists');
    const stored = await store.getProgramVersion(REFERENCE_PROGRAM_ID, 2);

    const refused = await publishDraft(store, REFERENCE_PROGRAM_ID, 2, manager, clock.now());
    expect(refused).toEqual({
      ok: false,
      reason: 'invalid',
      problems: [
        { field: 'timeZone', reason: 'unknown time zone: Asia/Nowhere' },
        { field: 'milestones.4.key', reason: 'duplicate milestone key: connection' },
        { field: 'milestones.3.dependsOn.1', reason: 'unknown dependency: onboarding depends on "filtering"' },
      ],
    });
    expect(await store.getProgramVersion(REFERENCE_PROGRAM_ID, 2)).toEqual(stored);
    expect((await store.listProgramVersions(REFERENCE_PROGRAM_ID)).map((v) => [v.version, v.status])).toEqual([
      [1, 'published'],
      [2, 'draft'],
    ]);
  });

  it('a corrected draft is rewritten, then published, and is immutable from then on', async () => {
    const fixed = structuredClone(REFERENCE_PROGRAM_DATA_JSON) as { targets: unknown[] };
    fixed.targets = [];
    clock.setTo(new Date('2022-03-02T10:00:00.000Z'));
    await store.saveProgramDraft(draft(2, fixed as unknown as Json, '2022-03-02T10:00:00.000Z'));
    const published = await publishDraft(store, REFERENCE_PROGRAM_ID, 2, manager, clock.now());
    expect(published).toMatchObject({ ok: true, version: { version: 2, status: 'published', publishedAt: '2022-03-02T10:00:00.000Z' } });
    expect(await code(store.saveProgramDraft(draft(2, {})))).toBe('version-published');
    expect((await store.getProgramVersion(REFERENCE_PROGRAM_ID, 2))!.definition).toEqual(fixed);
    expect(await nextVersionNumber(store, REFERENCE_PROGRAM_ID)).toBe(3);
  });

  it('the numbers and statuses of the versions are read without their definitions, and a catalog sees a version once it is published', async () => {
    await store.saveProgramDraft(draft(4, structuredClone(REFERENCE_PROGRAM_DATA_JSON) as Json), { create: true });
    const full = await store.listProgramVersions(REFERENCE_PROGRAM_ID);
    expect(await store.listProgramVersionStatuses(REFERENCE_PROGRAM_ID)).toEqual(
      full.map((v) => ({ version: v.version, status: v.status })),
    );
    // The resolver's catalog lists the published versions only; a draft joins it when it is published.
    const programs = createProgramResolver(store);
    expect((await programs.catalog()).versions.map((v) => v.version)).toEqual([1, 2]);
    expect(await publishDraft(store, REFERENCE_PROGRAM_ID, 4, manager, clock.now())).toMatchObject({ ok: true });
    expect((await programs.catalog()).versions.map((v) => v.version)).toEqual([1, 2, 4]);
    // Version 4 is a new version of the same program, read by number when the catalog first needs it.
    expect((await programs.version(4)).milestones.map((m) => m.key)).toEqual(REFERENCE_PROGRAM.milestones.map((m) => m.key));
  });

  it('a definition of another program id is refused when published', async () => {
    const other = { ...(structuredClone(REFERENCE_PROGRAM_DATA_JSON) as object), id: 'another-program' };
    await store.saveProgramDraft(draft(3, other as unknown as Json), { create: true });
    expect(await publishDraft(store, REFERENCE_PROGRAM_ID, 3, manager, clock.now())).toEqual({
      ok: false,
      reason: 'invalid',
      problems: [{ field: 'id', reason: `must be "${REFERENCE_PROGRAM_ID}", the program this version belongs to` }],
    });
    expect(await publishDraft(store, REFERENCE_PROGRAM_ID, 9, manager, clock.now())).toEqual({ ok: false, reason: 'not-found' });
  });
});
