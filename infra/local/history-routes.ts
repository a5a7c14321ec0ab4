/**
 * What the local gateway answers itself while the demo history is being generated (the dashboard is
 * served from the first seconds of the first `npm start`, on the history's own stack and clock):
 *
 * - `GET /local/demo-history`: where the history stands (`DemoHistoryStatus`); the dashboard shows it
 *   as a banner and reloads when the live system has taken over (the route is gone then: 404).
 * - Every request that could change something (any method but GET, HEAD, OPTIONS on `/api/`) is
 *   refused with 503 and an `application/problem+json` body: the simulated people own the timeline
 *   until the demo date; nothing is written.
 */
import { ApiProblem, PROBLEM_TYPES } from '../../functions/api/problem.js';
import { PROBLEM_CONTENT_TYPE } from '../../shared/api/schemas.js';
import type { LocalRoute } from './http-gateway.js';

export const DEMO_HISTORY_PATH = '/local/demo-history';

export interface DemoHistoryStatus {
  state: 'generating';
  /** Share of the period simulated, 0 to 1. */
  fraction: number;
  /** The simulated instant the history has reached (ISO). */
  simulatedTime: string;
  demoDate: string;
  schools: number;
  /** Wall-clock seconds since the history started. */
  elapsedSeconds: number;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The gateway's routes during the history; `status()` gives the current figures. */
export function demoHistoryRoutes(status: () => DemoHistoryStatus): LocalRoute[] {
  const progress: LocalRoute = (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== DEMO_HISTORY_PATH) return false;
    const body = JSON.stringify(status());
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  };
  const readOnly: LocalRoute = (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (READ_METHODS.has(req.method ?? 'GET') || !path.startsWith('/api/')) return false;
    const s = status();
    const problem = new ApiProblem(
      503,
      `The demo history is being generated (${Math.floor(s.fraction * 100)} %, simulated up to ${s.simulatedTime.slice(0, 10)}); the system accepts changes once it has reached ${s.demoDate}.`,
      { type: PROBLEM_TYPES.unavailable, errors: [{ field: 'request', reason: 'read-only while the demo history is being generated' }] },
    );
    const body = JSON.stringify(problem.toJSON(path));
    res.writeHead(503, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'retry-after': '30',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  };
  return [progress, readOnly];
}
