/**
 * On the first local start the dashboard answers while the demo history is still being generated
 * (`GET /local/demo-history`, served by the local gateway only then): a banner shows how far it is,
 * the pages' data fills in behind it, and the page reloads once the live system has taken over (the
 * route is gone: any answer but 200). Anywhere else the first request answers 404 and nothing shows.
 */
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from './i18n.js';

interface HistoryStatus {
  state: 'generating';
  fraction: number;
  simulatedTime: string;
  demoDate: string;
}

const POLL_MS = 2_000;

async function fetchStatus(): Promise<HistoryStatus | 'gone' | 'unreachable'> {
  try {
    const response = await fetch(new URL('local/demo-history', document.baseURI), { cache: 'no-store' });
    if (response.status !== 200) return 'gone';
    const body = (await response.json()) as Partial<HistoryStatus>;
    return body.state === 'generating' &&
      typeof body.fraction === 'number' &&
      typeof body.simulatedTime === 'string' &&
      typeof body.demoDate === 'string'
      ? (body as HistoryStatus)
      : 'gone';
  } catch {
    return 'unreachable';
  }
}

export function HistoryBanner() {
  const i18n = useI18n();
  const [status, setStatus] = useState<HistoryStatus | 'switching' | null>(null);

  useEffect(() => {
    let seen = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = async () => {
      const s = await fetchStatus();
      if (stopped) return;
      if (s === 'gone') {
        // The live system answers: the history is complete; show it from the start.
        if (seen) window.location.reload();
        return;
      }
      if (s === 'unreachable') {
        if (!seen) return;
        setStatus('switching');
      } else {
        seen = true;
        setStatus(s);
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);

  if (status === null) return null;
  const text =
    status === 'switching'
      ? i18n.t('history.switching')
      : i18n.t('history.generating', {
          percent: i18n.percent(status.fraction),
          date: i18n.date(status.simulatedTime.slice(0, 10)),
          demoDate: i18n.date(status.demoDate),
        });
  return (
    <div class="container">
      <div class="alert alert-info" role="status" aria-live="polite" data-testid="history-banner">
        {status !== 'switching' && <progress max={1} value={status.fraction} aria-hidden="true" />} {text}
      </div>
    </div>
  );
}
