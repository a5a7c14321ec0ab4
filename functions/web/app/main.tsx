/**
 * The dashboard: sign-in, the header (who is signed in, language, sign out), and the pages by hash route.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Me } from '../../../shared/api/schemas.js';
import { api } from './api.js';
import { createI18n, I18nContext, LANGS, storedLang, storeLang, useI18n, type Lang } from './i18n.js';
import { HistoryBanner } from './history-banner.js';
import { AssignmentsPage } from './pages/assignments.js';
import { NotificationsPage } from './pages/notifications.js';
import { OverviewPage } from './pages/overview.js';
import { ProgramsPage, programsAllowed } from './pages/programs.js';
import { ReportPage } from './pages/report.js';
import { ReviewPage, reviewAllowed } from './pages/review.js';
import { SchoolPage } from './pages/school.js';
import { SchoolsPage } from './pages/schools.js';
import { ScorecardsPage } from './pages/scorecards.js';
import { SignInPage } from './pages/signin.js';
import { UsersPage, usersAllowed } from './pages/users.js';
import { ContractorsPage, contractorsAllowed } from './pages/contractors.js';
import { ImportsPage, importsAllowed } from './pages/imports.js';
import { signOutEverywhere } from './sign-in-flow.js';
import { districtName, loadPublishedPrograms, usePublishedMilestones } from './program.js';
import { href, navigate, useRoute, type Route } from './router.js';
import { session } from './session.js';
import { ErrorBox, Loading, useAsync } from './ui.js';
import './styles.css';

type Section =
  | 'overview'
  | 'schools'
  | 'assignments'
  | 'review'
  | 'notifications'
  | 'report'
  | 'scorecards'
  | 'users'
  | 'programs'
  | 'contractors'
  | 'imports';

function sectionsFor(me: Me): Section[] {
  const admin: Section[] = [
    ...(usersAllowed(me) ? ['users' as const] : []),
    ...(contractorsAllowed(me) ? ['contractors' as const] : []),
    ...(importsAllowed(me) ? ['imports' as const] : []),
    ...(programsAllowed(me) ? ['programs' as const] : []),
  ];
  const [first, ...rest] = baseSections(me);
  return [...(first ? [first] : []), ...(reviewAllowed(me) ? ['review' as const] : []), ...rest, ...admin];
}

function baseSections(me: Me): Section[] {
  switch (me.role) {
    case 'contractor':
      return ['assignments', 'notifications', 'scorecards'];
    case 'school-staff':
      return ['assignments', 'notifications'];
    case 'viewer':
      return ['overview', 'schools', 'notifications', 'report', 'scorecards'];
    case 'district-coordinator':
      return ['overview', 'schools', 'notifications', 'report'];
    default:
      return ['overview', 'schools', 'notifications', 'report', 'scorecards'];
  }
}

function App() {
  const [lang, setLang] = useState<Lang>(storedLang);
  const i18n = useMemo(() => createI18n(lang), [lang]);
  const [token, setToken] = useState(session.token());
  const [expired, setExpired] = useState(false);
  const me = useAsync(() => (token ? api.me() : Promise.resolve(null)), [token]);
  // The published programme versions, read once after sign-in; the whole page re-renders when they arrive.
  usePublishedMilestones();
  useEffect(() => {
    if (me.data) void loadPublishedPrograms(api.programVersions);
  }, [me.data]);

  useEffect(() => {
    storeLang(lang);
  }, [lang]);
  useEffect(
    () =>
      session.subscribe((t, wasExpired) => {
        setToken(t);
        setExpired(wasExpired);
      }),
    [],
  );

  let body;
  if (!token) body = <SignInPage expired={expired} />;
  else if (me.error !== undefined)
    body = (
      <main id="main" class="container">
        <ErrorBox error={me.error} onRetry={me.reload} />
      </main>
    );
  else if (!me.data || me.loading)
    body = (
      <main id="main" class="container">
        <Loading />
      </main>
    );
  else body = <SignedIn me={me.data} />;

  return (
    <I18nContext.Provider value={i18n}>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {i18n.t('skipToContent')}
      </a>
      <Header me={token && !me.loading ? (me.data ?? null) : null} lang={lang} onLang={setLang} />
      <HistoryBanner />
      {body}
    </I18nContext.Provider>
  );
}

function Header({ me, lang, onLang }: { me: Me | null; lang: Lang; onLang: (l: Lang) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const route = useRoute();
  const current = route.segments[0] ?? '';
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          <span>
            <span class="brand-title">{t('appTitle')}</span>
            <span class="brand-region">{t('region')}</span>
          </span>
        </a>
        {me && (
          <nav aria-label={t('mainNav')} class="mainnav">
            <ul>
              {sectionsFor(me).map((s) => (
                <li key={s}>
                  <a href={href([s])} aria-current={current === s || (s === 'schools' && current === 'school') ? 'page' : undefined}>
                    {t(`nav.${s}`)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="topbar-tools">
          <div role="group" aria-label={t('language')} class="lang-switch">
            {LANGS.map((l) => (
              <button
                key={l}
                type="button"
                lang={l}
                aria-pressed={l === lang}
                onClick={() => onLang(l)}
                title={l === 'ru' ? 'Русский' : 'English'}
              >
                {l.toUpperCase()}
              </button>
            ))}
          </div>
          {me && (
            <div class="whoami">
              <span class="visually-hidden">{t('signedInAs')} </span>
              <span class="whoami-name" data-testid="whoami">
                {me.name ?? me.sub}
                <span class="whoami-role">
                  {i18n.role(me.role)}
                  {me.district ? ` · ${districtName(me.district, lang)}` : ''}
                  {me.org ? ` · ${t('me.org', { org: me.org })}` : ''}
                </span>
              </span>
              <button
                type="button"
                class="btn btn-secondary btn-small"
                onClick={() => {
                  navigate('#/');
                  void signOutEverywhere();
                }}
              >
                {t('signOut')}
              </button>
            </div>
          )}
        </div>
      </div>
    </header>
  );
}

function SignedIn({ me }: { me: Me }) {
  const route = useRoute();
  return (
    <main id="main" class="container" tabIndex={-1}>
      <Page me={me} route={route} />
    </main>
  );
}

function Page({ me, route }: { me: Me; route: Route }) {
  const { t } = useI18n();
  const [first, second] = route.segments;
  const home = me.role === 'contractor' ? 'assignments' : 'overview';
  switch (first ?? home) {
    case 'overview':
      return <OverviewPage me={me} />;
    case 'schools':
      return <SchoolsPage me={me} params={route.params} />;
    case 'school':
      return second ? <SchoolPage me={me} schoolId={second} key={second} /> : <p>{t('notFound')}</p>;
    case 'assignments':
      return <AssignmentsPage me={me} />;
    case 'review':
      return reviewAllowed(me) ? <ReviewPage me={me} /> : <p role="alert">{t('error.forbidden')}</p>;
    case 'notifications':
      return <NotificationsPage />;
    case 'report':
      return <ReportPage me={me} />;
    case 'scorecards':
      return <ScorecardsPage me={me} />;
    case 'users':
      return usersAllowed(me) ? <UsersPage me={me} /> : <p role="alert">{t('error.forbidden')}</p>;
    case 'contractors':
      return contractorsAllowed(me) ? <ContractorsPage me={me} /> : <p role="alert">{t('error.forbidden')}</p>;
    case 'imports':
      return importsAllowed(me) ? <ImportsPage /> : <p role="alert">{t('error.forbidden')}</p>;
    case 'programs':
      return programsAllowed(me) ? (
        <ProgramsPage me={me} version={second} key={second ?? ''} />
      ) : (
        <p role="alert">{t('error.forbidden')}</p>
      );
    default:
      return <p role="alert">{t('notFound')}</p>;
  }
}

session.adoptTokenFromLocation();
window.addEventListener('hashchange', () => session.adoptTokenFromLocation());
document.documentElement.lang = storedLang();
render(<App />, document.getElementById('app')!);
