/**
 * The HTML report of a program simulation: one self-contained file (inline CSS and SVG, no script, no
 * network) with the yearly KPI table, progress per milestone over time against the program's targets,
 * the targets table, reminders and escalations per month, and a table per district.
 *
 * Deterministic: the same KPIs and facts give the same bytes (no clock, fixed number formatting, every
 * list in a defined order), so two runs with the same seed can be compared with `cmp`.
 */
import type { Kpis } from './kpi.js';
import { percent } from './kpi.js';

export interface ReportInput {
  kpis: Kpis;
  /** Program title, shown as the heading. */
  title: string;
  /** What was simulated (schools, seed, period …), as label/value pairs. */
  parameters: readonly (readonly [string, string])[];
  /** What happened (commands, transitions …), as label/value pairs; must not depend on the wall clock. */
  facts: readonly (readonly [string, string])[];
  /** The command line that reproduces the report. */
  command: string;
}

const PALETTE = ['#1f6fb2', '#e07b00', '#2e9949', '#8a4fbf', '#c23b3b', '#5a6b7b'];
const REMINDER_COLOUR = '#7da7d9';
const ESCALATION_COLOUR = '#d9534f';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

function dayNumber(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;
}

function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/** Share done per milestone over the period (weekly), with the targets as diamonds at their expected share. */
export function progressChart(kpis: Kpis): string {
  const W = 900;
  const H = 380;
  const m = { left: 48, right: 16, top: 16, bottom: 36 };
  const x0 = dayNumber(kpis.from);
  const x1 = Math.max(dayNumber(kpis.to), x0 + 1);
  const x = (date: string) => m.left + ((dayNumber(date) - x0) / (x1 - x0)) * (W - m.left - m.right);
  const y = (share: number) => H - m.bottom - share * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="Share of schools done per milestone over time, with targets">`,
  );
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${num(y(share))}" y2="${num(y(share))}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${num(y(share) + 4)}" text-anchor="end" class="tick">${share * 100}%</text>`);
  }
  for (let year = Number(kpis.from.slice(0, 4)); year <= Number(kpis.to.slice(0, 4)) + 1; year++) {
    const date = `${year}-01-01`;
    if (date < kpis.from || date > kpis.to) continue;
    parts.push(`<line x1="${num(x(date))}" x2="${num(x(date))}" y1="${m.top}" y2="${H - m.bottom}" class="grid"/>`);
    parts.push(`<text x="${num(x(date))}" y="${H - m.bottom + 18}" text-anchor="middle" class="tick">${year}</text>`);
  }
  kpis.milestones.forEach((ms, i) => {
    const points = kpis.series.map((p) => `${num(x(p.date))},${num(y(kpis.schools === 0 ? 0 : (p.done[ms.key] ?? 0) / kpis.schools))}`);
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${colour(i)}" stroke-width="2"><title>${escapeHtml(ms.title.en)}</title></polyline>`,
    );
  });
  kpis.targets.forEach((t) => {
    const i = kpis.milestones.findIndex((ms) => ms.key === t.milestone);
    if (t.date < kpis.from || t.date > kpis.to || i < 0) return;
    const cx = x(t.date);
    const cy = y(t.expectedOfAll);
    const r = 6;
    const label = `Target: ${t.milestone} ${percent(Math.round(t.share * 1000), 1000)} of ${t.scope === 'all' ? 'all schools' : 'cohorts due'} by ${t.date}`;
    parts.push(
      `<polygon points="${num(cx)},${num(cy - r)} ${num(cx + r)},${num(cy)} ${num(cx)},${num(cy + r)} ${num(cx - r)},${num(cy)}" fill="#fff" stroke="${colour(i)}" stroke-width="2"><title>${escapeHtml(label)}</title></polygon>`,
    );
  });
  parts.push('</svg>');
  const legend = kpis.milestones
    .map(
      (ms, i) =>
        `<span class="key"><i style="background:${colour(i)}"></i>${escapeHtml(ms.title.en)} <span class="ru">${escapeHtml(ms.title.ru)}</span></span>`,
    )
    .join('');
  return `${parts.join('')}<p class="legend">${legend}<span class="key"><i class="diamond"></i>target (expected share of all schools)</span></p>`;
}

/** Reminders and escalations per month, stacked bars. */
export function remindersChart(kpis: Kpis): string {
  const W = 900;
  const H = 260;
  const m = { left: 48, right: 16, top: 16, bottom: 36 };
  const max = Math.max(1, ...kpis.months.map((mo) => mo.reminders + mo.escalations));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const n = Math.max(1, kpis.months.length);
  const slot = (W - m.left - m.right) / n;
  const bar = Math.max(1, slot * 0.8);
  const y = (v: number) => H - m.bottom - (v / top) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="Reminders and escalations per month">`,
  );
  for (let v = 0; v <= top; v += step) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${num(y(v))}" y2="${num(y(v))}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${num(y(v) + 4)}" text-anchor="end" class="tick">${v}</text>`);
  }
  kpis.months.forEach((mo, i) => {
    const left = m.left + i * slot + (slot - bar) / 2;
    const title = `<title>${mo.month}: ${mo.reminders} reminders, ${mo.escalations} escalations</title>`;
    if (mo.reminders > 0) {
      parts.push(
        `<rect x="${num(left)}" y="${num(y(mo.reminders))}" width="${num(bar)}" height="${num(y(0) - y(mo.reminders))}" fill="${REMINDER_COLOUR}">${title}</rect>`,
      );
    }
    if (mo.escalations > 0) {
      const base = y(mo.reminders);
      parts.push(
        `<rect x="${num(left)}" y="${num(y(mo.reminders + mo.escalations))}" width="${num(bar)}" height="${num(base - y(mo.reminders + mo.escalations))}" fill="${ESCALATION_COLOUR}">${title}</rect>`,
      );
    }
    if (mo.month.endsWith('-01')) {
      parts.push(
        `<text x="${num(left + bar / 2)}" y="${H - m.bottom + 18}" text-anchor="middle" class="tick">${mo.month.slice(0, 4)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('')}<p class="legend"><span class="key"><i style="background:${REMINDER_COLOUR}"></i>reminders (assignee)</span><span class="key"><i style="background:${ESCALATION_COLOUR}"></i>escalations (district coordinator, program manager)</span></p>`;
}

function niceStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const f of [1, 2, 5, 10]) if (f * magnitude >= raw) return Math.max(1, f * magnitude);
  return Math.max(1, 10 * magnitude);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  const th = headers.map((h, i) => `<th${i >= numericFrom ? ' class="n"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function yearlyTable(kpis: Kpis): string {
  const headers = ['Year (as of)', ...kpis.milestones.map((m) => escapeHtml(m.title.en)), 'Reminders', 'Escalations'];
  const rows = kpis.years.map((y) => [
    `${y.year} <span class="muted">(${y.asOf})</span>`,
    ...kpis.milestones.map((m) => {
      const c = y.milestones[m.key]!;
      const detail = c.waived > 0 ? `${c.completed} + ${c.waived} waived` : `${c.completed}`;
      return `${percent(c.done, kpis.schools)} <span class="muted">${detail}</span>`;
    }),
    String(y.reminders),
    String(y.escalations),
  ]);
  return table(headers, rows);
}

function targetsTable(kpis: Kpis): string {
  const rows = kpis.targets.map((t) => [
    escapeHtml(kpis.milestones.find((m) => m.key === t.milestone)?.title.en ?? t.milestone),
    t.date,
    t.scope === 'all' ? 'all schools' : 'cohorts due by then',
    String(t.counted),
    percent(Math.round(t.share * 1000), 1000),
    t.done === null ? '<span class="muted">after the period</span>' : `${percent(t.done, t.counted)} <span class="muted">${t.done}</span>`,
    t.met === null ? '' : t.met ? '<span class="ok">met</span>' : '<span class="miss">missed</span>',
  ]);
  return table(['Milestone', 'Date', 'Scope', 'Schools in scope', 'Target', 'Reached', ''], rows, 3);
}

function districtTable(kpis: Kpis): string {
  const rows = kpis.districts.map((d) => [
    `${escapeHtml(d.nameRu)} <span class="muted">${escapeHtml(d.nameEn)}</span>`,
    String(d.schools),
    ...kpis.milestones.map((m) => {
      const done = d.done[m.key] ?? 0;
      return `${percent(done, d.schools)} <span class="muted">${percent(d.onTime[m.key] ?? 0, d.schools)} on time</span>`;
    }),
    String(d.reminders),
    String(d.escalations),
  ]);
  const total = [
    '<strong>Region</strong>',
    String(kpis.schools),
    ...kpis.milestones.map((m) => {
      const done = kpis.districts.reduce((s, d) => s + (d.done[m.key] ?? 0), 0);
      const onTime = kpis.districts.reduce((s, d) => s + (d.onTime[m.key] ?? 0), 0);
      return `<strong>${percent(done, kpis.schools)}</strong> <span class="muted">${percent(onTime, kpis.schools)} on time</span>`;
    }),
    String(kpis.districts.reduce((s, d) => s + d.reminders, 0)),
    String(kpis.districts.reduce((s, d) => s + d.escalations, 0)),
  ];
  return table(
    ['District', 'Schools', ...kpis.milestones.map((m) => escapeHtml(m.title.en)), 'Reminders', 'Escalations'],
    [...rows, total],
  );
}

function pairs(list: readonly (readonly [string, string])[]): string {
  return `<dl>${list.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;margin:0;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}.n{text-align:right;white-space:nowrap}th.n{white-space:normal}td.n .muted{display:block}
.muted{color:#6b7785;font-size:12px}.ru{color:#6b7785}.ok{color:#2e7d32;font-weight:600}.miss{color:#c62828;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#6b7785}dd{margin:0}
svg{width:100%;height:auto}.grid{stroke:#e3e7ec;stroke-width:1}.tick{font-size:11px;fill:#6b7785}
.legend{margin:6px 0 0;font-size:12px}.key{margin-right:16px;white-space:nowrap}
.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.key i.diamond{transform:rotate(45deg) scale(.8);border:2px solid #1d2733;background:#fff;border-radius:0}
code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
`;

export function renderReport(input: ReportInput): string {
  const { kpis } = input;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Program simulation — ${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Program simulation</h1>
<p>${escapeHtml(input.title)}</p>
<section>
<h2>Parameters</h2>
${pairs(input.parameters)}
<h2>What happened</h2>
${pairs(input.facts)}
</section>
<section>
<h2>Milestones done at 31 December</h2>
<p class="muted">Share of all ${kpis.schools} schools with the milestone completed or waived; reminders and escalations sent during the year. Dates in ${escapeHtml(kpis.timeZone)}.</p>
${yearlyTable(kpis)}
</section>
<section>
<h2>Progress per milestone over time, against the targets</h2>
${progressChart(kpis)}
<h2>Targets</h2>
${targetsTable(kpis)}
</section>
<section>
<h2>Reminders and escalations per month</h2>
${remindersChart(kpis)}
</section>
<section>
<h2>Districts at ${kpis.to}</h2>
${districtTable(kpis)}
</section>
<p class="muted">Reproduce with <code>${escapeHtml(input.command)}</code>. The same seed gives the same report, byte for byte.</p>
</main>
</body>
</html>
`;
}
