import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiProvider, createApiClient, useClient, type Session, type SessionProbe } from './api';
import { useI18n } from './i18n';
import { Link, navigate, usePath } from './router';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { Users } from './pages/Users';
import { Groups } from './pages/Groups';
import { Receipts } from './pages/Receipts';
import { ReceiptDetail } from './pages/ReceiptDetail';
import { Audit } from './pages/Audit';
import { Documents } from './pages/Documents';
import { Events } from './pages/Events';
import { Orphans } from './pages/Orphans';
import { OrphanBanner } from './components/OrphanBanner';

const hasSession = (p: SessionProbe): p is Session => p.user !== null;

export function App() {
  const path = usePath();
  const { lang } = useI18n();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const logout = useCallback(() => setSession(null), []);

  // One client per session: its CSRF token, and a 401 on any call ends this session in the UI.
  const client = useMemo(() => createApiClient({ csrf: session?.csrf_token ?? '', lang, onUnauthorized: logout }), [session, lang, logout]);

  useEffect(() => {
    // The probe answers 200 with `user: null` when nobody is logged in (no console error on the login page).
    createApiClient({ csrf: '', lang: document.documentElement.lang, onUnauthorized: () => undefined })
      .call<SessionProbe>('GET', '/session')
      .then((p) => setSession(hasSession(p) ? p : null), () => setSession(null));
  }, []);

  useEffect(() => {
    if (session === null && path !== '/login') navigate('/login', true);
    if (session && path === '/login') navigate('/', true);
  }, [session, path]);

  if (session === undefined) return <div className="splash" />;
  return (
    <ApiProvider client={client}>
      {session === null ? <Login onLogin={setSession} /> : <Shell session={session} path={path} onLogout={logout} />}
    </ApiProvider>
  );
}

function Shell({ session, path, onLogout }: { session: Session; path: string; onLogout: () => void }) {
  const { t, lang, setLang } = useI18n();
  const client = useClient();
  const logout = async () => {
    await client.call('DELETE', '/session').catch(() => undefined);
    onLogout();
  };
  const receiptDetail = /^\/groups\/(\d+)\/receipts\/(\d+)$/.exec(path);
  const receipts = /^\/groups\/(\d+)\/receipts$/.exec(path);
  const documents = /^\/groups\/(\d+)\/documents$/.exec(path);
  const events = /^\/groups\/(\d+)\/events$/.exec(path);
  let page;
  if (receiptDetail) page = <ReceiptDetail groupId={Number(receiptDetail[1])} receiptId={Number(receiptDetail[2])} />;
  else if (receipts) page = <Receipts key={receipts[1]} groupId={Number(receipts[1])} />;
  else if (documents) page = <Documents key={documents[1]} groupId={Number(documents[1])} />;
  else if (events) page = <Events key={events[1]} groupId={Number(events[1])} />;
  else if (path === '/users') page = <Users session={session} />;
  else if (path === '/groups') page = <Groups />;
  else if (path === '/audit') page = <Audit />;
  else if (path === '/orphans') page = <Orphans />;
  else page = <Overview />;
  const section = path.split('/')[1] ?? '';
  const nav = (to: string, label: string) => (
    <Link to={to} className={`/${section}` === to || (to === '/' && section === '') ? 'active' : ''}>
      {label}
    </Link>
  );
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">₽</span>
          <span className="brand-name">cr-server</span>
        </Link>
        <nav className="nav">
          {nav('/', t('nav.overview'))}
          {nav('/users', t('nav.users'))}
          {nav('/groups', t('nav.groups'))}
          {nav('/audit', t('nav.audit'))}
        </nav>
        <div className="who">
          <button type="button" className="ghost small" onClick={() => setLang(lang === 'ru' ? 'en' : 'ru')} data-testid="lang">
            {t('lang.switch')}
          </button>
          <span className="me" title={session.user.name} data-testid="me">{session.user.login}</span>
          <button type="button" className="ghost small" onClick={() => void logout()}>{t('nav.logout')}</button>
        </div>
      </header>
      <main className="content">
        <OrphanBanner />
        {page}
      </main>
    </div>
  );
}
