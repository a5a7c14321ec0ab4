import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useI18n } from '../i18n.js';
import { session } from '../session.js';
import { completeSignIn, startSignIn } from '../sign-in-flow.js';
import { errorText, PageTitle, TextAreaField } from '../ui.js';

/**
 * Sign in with the directory's sign-in page (authorization code + PKCE); a token pasted here is checked
 * with `GET /api/me` before it is kept (for API clients and scripted access).
 */
export function SignInPage({ expired }: { expired: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [flowError, setFlowError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // Back from the sign-in page with a code: exchange it.
  useEffect(() => {
    void completeSignIn().then(
      (message) => message && setFlowError(t('signin.failed', { reason: message })),
      (e: Error) => setFlowError(t('signin.failed', { reason: e.message })),
    );
  }, []);

  async function signIn() {
    setBusy(true);
    setFlowError(undefined);
    try {
      await startSignIn();
    } catch (e) {
      setFlowError(t('signin.failed', { reason: (e as Error).message }));
      setBusy(false);
    }
  }

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
      setError(
        err instanceof ApiError && err.status === 401 ? t('signin.rejected', { reason: err.detail ?? err.title }) : errorText(err, i18n),
      );
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
      {flowError && (
        <div class="alert alert-error" role="alert">
          {flowError}
        </div>
      )}
      <p>{t('signin.intro')}</p>
      <div class="form-actions">
        <button type="button" class="btn btn-primary" id="sign-in" disabled={busy} aria-busy={busy} onClick={() => void signIn()}>
          {t('signin.withDirectory')}
        </button>
      </div>
      <details class="card">
        <summary>{t('signin.withToken')}</summary>
        <form onSubmit={submit} noValidate>
          <TextAreaField
            id="token"
            label={t('signin.token')}
            hint={t('signin.tokenHint')}
            value={token}
            onValue={setToken}
            error={error}
            required
            rows={5}
          />
          <div class="form-actions">
            <button type="submit" class="btn btn-secondary" disabled={busy} aria-busy={busy}>
              {t('signin.submit')}
            </button>
          </div>
        </form>
      </details>
    </main>
  );
}
