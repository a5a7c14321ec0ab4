import { describe, expect, it } from 'vitest';
import { REFERENCE_PROGRAM } from '../../shared/program/index.js';
import type { MilestoneEvent } from '../../shared/program/model.js';
import { generateRegion } from '../../shared/region/index.js';
import { computeKpis, type Kpis } from '../../infra/local/simulation/kpi.js';
import { escapeHtml, renderReport, type ReportInput } from '../../infra/local/simulation/report.js';

const program = REFERENCE_PROGRAM;
const region = generateRegion({ seed: 3, schools: 40 });

/** A plausible log: every school's connection accepted on a day spread over 2021, half the equipment waived. */
function events(): MilestoneEvent[] {
  const system = { role: 'system', sub: 'system' } as const;
  const pm = { role: 'program-manager', sub: 'pm' } as const;
  return region.schools.flatMap((s, i): MilestoneEvent[] => {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const month = String(1 + (i % 12)).padStart(2, '0');
    const list: MilestoneEvent[] = [
      {
        type: 'started',
        schoolId: s.id,
        milestone: 'connection',
        at: '2021-01-01T00:00:00.000Z',
        actor: system,
        version: 1,
        assignee: 'isp',
        deadline: '2021-12-31',
      },
      { type: 'accepted', schoolId: s.id, milestone: 'connection', at: `2021-${month}-${day}T05:00:00.000Z`, actor: pm, version: 2 },
      {
        type: 'reminded',
        schoolId: s.id,
        milestone: 'connection',
        at: '2021-12-01T03:00:00.000Z',
        actor: system,
        version: 3,
        reminderId: `${s.id}:connection:2021-12-31:before:30`,
        level: i % 3 === 0 ? 'district-coordinator' : 'assignee',
        daysToDeadline: 30,
      },
    ];
    if (i % 2 === 0)
      list.push({
        type: 'waived',
        schoolId: s.id,
        milestone: 'equipment',
        at: '2022-02-01T05:00:00.000Z',
        actor: pm,
        version: 1,
        reason: 'not needed',
      });
    return list;
  });
}

function input(kpis: Kpis): ReportInput {
  return {
    kpis,
    title: `${program.title.en} <script>`,
    parameters: [
      ['Schools', String(kpis.schools)],
      ['Seed', '3'],
    ],
    facts: [['Commands', '120']],
    command: 'npm run simulate -- --schools 40 --seed 3',
  };
}

describe('HTML report', () => {
  const kpis = computeKpis({
    program,
    schools: region.schools,
    districts: region.districts,
    events: events(),
    from: '2021-01-01',
    to: '2024-12-31',
  });
  const html = renderReport(input(kpis));

  it('is the same text for the same figures', () => {
    const again = computeKpis({
      program,
      schools: region.schools,
      districts: region.districts,
      events: events().reverse(),
      from: '2021-01-01',
      to: '2024-12-31',
    });
    expect(renderReport(input(again))).toBe(html);
  });

  it('is self-contained: no script, no external resource', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('draws one line per milestone and one diamond per target inside the period', () => {
    const progress = html.slice(
      html.indexOf('aria-label="Share of schools'),
      html.indexOf('</svg>', html.indexOf('aria-label="Share of schools')),
    );
    expect(progress.match(/<polyline /g)).toHaveLength(program.milestones.length);
    expect(progress.match(/<polygon /g)).toHaveLength(program.targets.length);
    // The connection line ends at 100 %: the top of the plot area.
    const connection = /<polyline points="([^"]+)"[^>]*stroke="#1f6fb2"/.exec(progress)![1]!.split(' ');
    expect(connection.at(-1)!.split(',')[1]).toBe('16.0');
  });

  it('has the yearly table, the targets, the monthly bars and a row per district', () => {
    expect(html).toContain('Milestones done at 31 December');
    for (const y of kpis.years) expect(html).toContain(`${y.year} <span class="muted">(${y.asOf})</span>`);
    // All connected in 2021 (100 %); equipment half waived from 2022.
    expect(html).toContain('100.0% <span class="muted">40</span>');
    expect(html).toContain('50.0% <span class="muted">0 + 20 waived</span>');
    const bars = html.slice(html.indexOf('aria-label="Reminders and escalations per month"'));
    expect(bars.match(/<rect /g)).toHaveLength(2); // December 2021: reminders and escalations
    expect(bars).toContain(`2021-12: ${kpis.years[0]!.reminders} reminders, ${kpis.years[0]!.escalations} escalations`);
    for (const d of kpis.districts) expect(html).toContain(escapeHtml(d.nameRu));
    expect(html.match(/<span class="(ok|miss)">/g)).toHaveLength(program.targets.length);
  });
});
