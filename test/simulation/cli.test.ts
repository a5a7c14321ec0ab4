import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeed, parseSimulateArgs, UsageError } from '../../infra/local/simulation/options.js';
import { progressReporter } from '../../infra/local/simulation/progress.js';
import type { SimulationProgress } from '../../infra/local/simulation/engine.js';

describe('simulate options', () => {
  it('has the defaults of the issue: 750 schools, seed 1, 2021–2024, a report under .data/', () => {
    expect(parseSimulateArgs([], '/repo')).toEqual({
      schools: 750,
      seed: 1,
      from: '2021-01-01',
      to: '2024-12-31',
      out: path.resolve('/repo', '.data/simulation/report-750-seed-1.html'),
      programVersion: 1,
    });
  });

  it('reads every option', () => {
    const o = parseSimulateArgs(
      ['--schools', '20', '--seed', 'spring', '--from', '2022-01-01', '--to', '2023-06-30', '--out', 'r/x.html', '--program-version', '2'],
      '/repo',
    );
    expect(o).toEqual({
      schools: 20,
      seed: 'spring',
      from: '2022-01-01',
      to: '2023-06-30',
      out: path.resolve('/repo', 'r/x.html'),
      programVersion: 2,
    });
    expect(() => parseSimulateArgs(['--program-version', '3'])).toThrow('--program-version must be 1 or 2');
    expect(parseSimulateArgs(['--shards', '3'], '/repo')).toMatchObject({ shards: 3 });
    expect(parseSimulateArgs(['--data', 'd', '--shards', '1'], '/repo')).toMatchObject({ shards: 1, data: path.resolve('/repo', 'd') });
    expect(parseSimulateArgs(['--help'])).toBe('help');
  });

  it('keeps a numeric seed a number (the demo region of seed 1 is the one `npm start` shows) and other text as text', () => {
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed('-7')).toBe(-7);
    expect(parseSeed('1.5')).toBe('1.5');
    expect(parseSeed('omsk')).toBe('omsk');
  });

  it('refuses what cannot be simulated, naming the option', () => {
    const refused = (args: string[]) => {
      try {
        parseSimulateArgs(args);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${args.join(' ')}`);
    };
    expect(refused(['--schools', '0'])).toContain('--schools');
    expect(refused(['--schools', '12.5'])).toContain('--schools');
    expect(refused(['--schools', '20001'])).toContain('--schools');
    expect(refused(['--from', '2021-02-30'])).toContain('--from');
    expect(refused(['--from', '2022-01-01', '--to', '2021-12-31'])).toContain('before');
    expect(refused(['--seed', ''])).toContain('--seed');
    expect(refused(['--bogus'])).toMatch(/bogus/);
    expect(refused(['--shards', '0'])).toContain('--shards');
    expect(refused(['--shards', '17'])).toContain('--shards');
    expect(refused(['--shards', 'two'])).toContain('--shards');
    // A resumable run keeps one timeline (its checkpoint is the whole agenda's).
    expect(refused(['--data', 'd', '--shards', '2'])).toContain('--data');
  });
});

describe('progress on stderr', () => {
  const at = (date: string, fraction: number, commands = 0): SimulationProgress => ({
    now: Date.parse(`${date}T05:00:00Z`),
    fraction,
    actions: commands,
    commands,
    activations: 0,
  });

  it('writes one plain line per simulated quarter when the output is not a terminal', () => {
    const lines: string[] = [];
    const p = progressReporter({ isTTY: false, write: (t) => lines.push(t) }, () => 0);
    p.update(at('2021-01-05', 0));
    p.update(at('2021-02-05', 0.02, 10));
    p.update(at('2021-04-02', 0.06, 20));
    p.update(at('2021-12-31', 0.25, 30));
    p.done();
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(lines).toHaveLength(4); // 2021-Q1, Q2, Q4, and the final line
    expect(lines[1]).toContain('2021-04-02');
    expect(lines[2]).toMatch(/ 25% 2021-12-31 {2}commands 30/);
  });

  it('redraws one line in place on a terminal, at most every 100 ms, and ends it with a newline', () => {
    const out: string[] = [];
    let clock = 0;
    const p = progressReporter({ isTTY: true, columns: 200, write: (t) => out.push(t) }, () => clock);
    p.update(at('2021-01-05', 0.1));
    clock = 50;
    p.update(at('2021-01-06', 0.2)); // too soon: skipped
    clock = 150;
    p.update(at('2021-01-07', 0.3));
    p.note('something to say');
    p.done();
    const text = out.join('');
    expect(out.filter((t) => t.startsWith('\r[')).length).toBe(4); // two updates, the redraw after the note, the final draw
    expect(text).not.toContain('2021-01-06');
    expect(text).toContain('something to say\n');
    expect(text.endsWith('\n')).toBe(true);
  });
});
