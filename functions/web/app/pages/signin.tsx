import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useI18n } from '../i18n.js';
import { session } from '../session.js';
import { errorText, PageTitle, TextAreaField } from '../ui.js';

/** Paste a token: it is checked with `GET /api/me` before it is kept. */
export function SignInPage({ expired }: { expired: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(t('signin.required'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api.me(value);
      session.signIn(value);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('signin.rejected', { reason: err.detail ?? err.title }) : errorText(err, i18n));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="container narrow" tabIndex={-1}>
      <PageTitle title={t('signin.title')}>{t('signin.title')}</PageTitle>
      {expired && (
        <div class="alert alert-info" role="status">
          {t('signin.expired')}
        </div>
      )}
      <p>{t('signin.intro')}</p>
      <form class="card" onSubmit={submit} noValidate>
        <TextAreaField id="token" label={t('signin.token')} hint={t('signin.tokenHint')} value={token} onValue={setToken} error={error} required rows={5} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy} aria-busy={busy}>
            {t('signin.submit')}
          </button>
        </div>
      </form>
    </main>
  );
}
