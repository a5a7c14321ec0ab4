/**
 * A progress chart in plain SVG: the share of schools done over time (a step line) against the
 * program's targets (diamonds joined by a dashed line), with a marker at the report date.
 */
import type { SeriesPoint } from './progress.js';
import type { TargetPoint } from './program.js';
import { useI18n } from './i18n.js';

const W = 480;
const H = 210;
const PAD = { left: 40, right: 12, top: 12, bottom: 26 };

const dayMs = 86_400_000;
const toDays = (date: string) => Date.parse(`${date}T00:00:00Z`) / dayMs;

export interface ProgressChartProps {
  id: string;
  title: string;
  series: SeriesPoint[];
  targets: TargetPoint[];
  from: string;
  to: string;
  asOf: string;
  /** The colour index of the milestone (0…3). */
  tone: number;
}

export function ProgressChart({ id, title, series, targets, from, to, asOf, tone }: ProgressChartProps) {
  const i18n = useI18n();
  const x0 = toDays(from);
  const x1 = toDays(to);
  const x = (date: string) => PAD.left + ((toDays(date) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const y = (share: number) => PAD.top + (1 - share) * (H - PAD.top - PAD.bottom);

  const actual = series.filter((p) => p.date <= asOf);
  let line = '';
  actual.forEach((p, i) => {
    line += i === 0 ? `M${x(p.date).toFixed(1)},${y(p.share).toFixed(1)}` : `H${x(p.date).toFixed(1)}V${y(p.share).toFixed(1)}`;
  });
  const last = actual[actual.length - 1];
  if (last && last.date < asOf) line += `H${x(asOf).toFixed(1)}`;
  const area = line ? `${line}V${y(0).toFixed(1)}H${x(from).toFixed(1)}Z` : '';

  const targetLine = targets.length
    ? [`M${x(from)},${y(0)}`, ...targets.map((tp) => `L${x(tp.date).toFixed(1)},${y(tp.share).toFixed(1)}`), `H${x(to)}`].join('')
    : '';

  const years: string[] = [];
  for (let yr = Number(from.slice(0, 4)); yr <= Number(to.slice(0, 4)) + 1; yr++) {
    const d = `${yr}-01-01`;
    if (d >= from && d <= to) years.push(d);
  }
  const now = last?.share ?? 0;
  const targetsText = targets
    .map((tp) => i18n.t('overview.target', { date: i18n.date(tp.date), share: i18n.percent(tp.share) }))
    .join('; ');

  return (
    <svg
      class={`chart tone-${tone}`}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-desc`}
      preserveAspectRatio="xMidYMid meet"
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{i18n.t('overview.chartLabel', { milestone: title, share: i18n.percent(now), targets: targetsText })}</desc>
      {[0, 0.25, 0.5, 0.75, 1].map((s) => (
        <g key={s} class="grid">
          <line x1={PAD.left} x2={W - PAD.right} y1={y(s)} y2={y(s)} />
          <text x={PAD.left - 6} y={y(s) + 4} text-anchor="end">
            {Math.round(s * 100)}%
          </text>
        </g>
      ))}
      {years.map((d) => (
        <g key={d} class="axis-x">
          <line x1={x(d)} x2={x(d)} y1={y(0)} y2={y(0) + 4} />
          <text x={x(d) + 3} y={H - 8}>
            {d.slice(0, 4)}
          </text>
        </g>
      ))}
      {targetLine && <path class="target-line" d={targetLine} />}
      {area && <path class="area" d={area} />}
      {line && <path class="line" d={line} />}
      {asOf >= from && asOf <= to && <line class="asof" x1={x(asOf)} x2={x(asOf)} y1={PAD.top} y2={y(0)} />}
      {targets.map((tp) => (
        <path key={tp.date} class="target-point" d={`M${x(tp.date)},${y(tp.share) - 6}l6,6l-6,6l-6,-6z`} />
      ))}
      {last && <circle class="now-point" cx={x(asOf <= to ? asOf : to)} cy={y(now)} r={4} />}
    </svg>
  );
}
