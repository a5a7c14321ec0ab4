/**
 * Progress of a simulation on stderr: a bar redrawn in place on a terminal, plain lines (one per
 * simulated quarter) otherwise, so that logs and CI output stay readable. Never on stdout, which
 * carries the KPI table.
 */
import type { SimulationProgress } from './engine.js';

export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressReporter {
  update(p: SimulationProgress): void;
  /** A message on its own line (the bar is redrawn after it). */
  note(message: string): void;
  done(): void;
}

const BAR = 28;
const REDRAW_MS = 100;

function quarter(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

export function progressReporter(out: ProgressOutput = process.stderr, now: () => number = () => performance.now()): ProgressReporter {
  const tty = out.isTTY === true;
  const started = now();
  let lastDraw = -Infinity;
  let lastQuarter = '';
  let last: SimulationProgress | null = null;
  let drawn = false;

  const line = (p: SimulationProgress): string => {
    const filled = Math.round(p.fraction * BAR);
    const elapsed = ((now() - started) / 1000).toFixed(1);
    const date = new Date(p.now).toISOString().slice(0, 10);
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}% ${date}  commands ${p.commands}  milestones started ${p.activations}  ${elapsed} s`;
  };

  const draw = (p: SimulationProgress) => {
    const text = line(p);
    const width = Math.max(20, (out.columns ?? 120) - 1);
    out.write(`\r${text.slice(0, width).padEnd(Math.min(width, text.length + 2))}`);
    drawn = true;
  };

  return {
    update(p) {
      last = p;
      if (tty) {
        const t = now();
        if (t - lastDraw < REDRAW_MS && p.fraction < 1) return;
        lastDraw = t;
        draw(p);
        return;
      }
      const q = quarter(p.now);
      if (q !== lastQuarter) {
        lastQuarter = q;
        out.write(`${line(p)}\n`);
      }
    },
    note(message) {
      if (tty && drawn) out.write('\r\x1b[2K');
      out.write(`${message}\n`);
      if (tty && last) draw(last);
    },
    done() {
      if (last) {
        if (tty) {
          draw(last);
          out.write('\n');
        } else {
          out.write(`${line(last)}\n`);
        }
      }
    },
  };
}
