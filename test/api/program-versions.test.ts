/**
 * Program versions over HTTP: version 1 is there from the first start; a program manager drafts version
 * 2, sees its problems at their fields, cannot publish it while it has any (every problem named, nothing
 * written), corrects it and publishes it; a published version never changes; other roles only read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramVersionList, ProgramVersionView } from '../../shared/api/program-versions.js';
import { Problem } from '../../shared/api/schemas.js';
import { REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import { startApi, type ApiFixture } from './helpers.js';

let api: ApiFixture;
const ID = REFERENCE_PROGRAM_DATA.id;
const base = `/api/programs/${ID}/versions`;

beforeAll(async () => {
  api = await startApi('program-versions');
});
afterAll(async () => {
  await api?.stop();
});

type Data = { milestones: { key: string; dependsOn: string[]; deadline: unknown }[]; timeZone: string };
const reference = (): Data => JSON.parse(JSON.stringify(REFERENCE_PROGRAM_DATA)) as Data;

describe('program versions', () => {
  it('version 1 is the reference program, published at the first start', async () => {
    const list = ProgramVersionList.parse((await api.request('GET', base, { as: 'viewer' })).json);
    expect(list.items.map((v) => [v.version, v.status, v.problems])).toEqual([[1, 'published', []]]);
    expect(list.items[0]!.definition).toEqual(JSON.parse(JSON.stringify(REFERENCE_PROGRAM_DATA)));
  });

  it('a draft with problems shows each at its field; publishing it is refused with every problem named, and nothing is written', async () => {
    const broken = reference();
    broken.timeZone = 'Asia/Nowhere';
    broken.milestones[3]!.dependsOn = ['connection', 'equipmnt'];
    broken.milestones[0]!.deadline = { kind: 'fixed', date: '2021-02-30' };
    const created = await api.request('POST', base, { body: { definition: broken } });
    expect(created.status).toBe(201);
    const draft = ProgramVersionView.parse(created.json);
    expect(draft).toMatchObject({ version: 2, status: 'draft', author: expect.any(String), publishedAt: null });
    expect(draft.problems.map((p) => p.field)).toEqual(['definition.milestones.0.deadline.date']);

    // The shape is right once the date is; then the checks beyond the shape name the rest.
    broken.milestones[0]!.deadline = { kind: 'fixed', date: '2021-12-31' };
    const rewritten = ProgramVersionView.parse((await api.request('PUT', `${base}/2`, { body: { definition: broken } })).json);
    expect(rewritten.problems).toEqual([
      { field: 'definition.timeZone', reason: 'unknown time zone: Asia/Nowhere' },
      { field: 'definition.milestones.3.dependsOn.1', reason: 'unknown dependency: onboarding depends on "equipmnt"' },
    ]);

    const before = await api.items();
    const refused = await api.request('POST', `${base}/2/publish`);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const problem = Problem.parse(refused.json);
    expect(problem.errors).toEqual(rewritten.problems);
    expect(problem.detail).toContain('2 problem(s)');
    expect(await api.items()).toEqual(before);
  });

  it('only a program manager writes; everyone signed in reads', async () => {
    const before = await api.items();
    for (const as of ['coordinator', 'contractor', 'viewer'] as const) {
      expect((await api.request('POST', base, { as, body: { definition: reference() } })).status, as).toBe(403);
      expect((await api.request('PUT', `${base}/2`, { as, body: { definition: reference() } })).status, as).toBe(403);
      expect((await api.request('POST', `${base}/2/publish`, { as })).status, as).toBe(403);
      expect((await api.request('GET', `${base}/2`, { as })).status, as).toBe(200);
    }
    expect((await api.request('GET', `${base}/2`, { as: 'none' })).status).toBe(401);
    expect((await api.request('POST', base, { body: { definition: reference(), extra: 1 } })).status).toBe(400);
    expect((await api.request('GET', `${base}/9`)).status).toBe(404);
    expect(await api.items()).toEqual(before);
  });

  it('a corrected draft is published and never changes again', async () => {
    const fixed = reference();
    fixed.milestones[0]!.deadline = { kind: 'fixed', date: '2022-03-31' };
    expect(ProgramVersionView.parse((await api.request('PUT', `${base}/2`, { body: { definition: fixed } })).json).problems).toEqual([]);
    const published = await api.request('POST', `${base}/2/publish`);
    expect(published.status).toBe(200);
    expect(ProgramVersionView.parse(published.json)).toMatchObject({ version: 2, status: 'published', problems: [] });

    const before = await api.items();
    const again = await api.request('PUT', `${base}/2`, { body: { definition: reference() } });
    expect(again.status).toBe(409);
    expect(Problem.parse(again.json).code).toBe('version-published');
    expect((await api.request('POST', `${base}/2/publish`)).status).toBe(409);
    expect((await api.request('PUT', `${base}/1`, { body: { definition: reference() } })).status).toBe(409);
    expect(await api.items()).toEqual(before);
    expect(ProgramVersionView.parse((await api.request('GET', `${base}/2`)).json).definition).toEqual(fixed);
  });
});
