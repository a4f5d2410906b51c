import { useCallback, useEffect, useState } from 'react';
import { api, setCsrf, setUnauthorizedHandler, type Session } from './api';
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
import { Orphans } from './pages/Orphans';
import { OrphanBanner } from './components/OrphanBanner';

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  const adopt = useCallback((s: Session | null) => {
    setCsrf(s?.csrf_token ?? '');
    setSession(s);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => adopt(null));
    api<Session>('GET', '/session').then(adopt, () => adopt(null));
  }, [adopt]);

  useEffect(() => {
    if (session === null && path !== '/login') navigate('/login', true);
    if (session && path === '/login') navigate('/', true);
  }, [session, path]);

  if (session === undefined) return <div className="splash" />;
  if (session === null) return <Login onLogin={adopt} />;
  return <Shell session={session} path={path} onLogout={() => adopt(null)} />;
}

function Shell({ session, path, onLogout }: { session: Session; path: string; onLogout: () => void }) {
  const { t, lang, setLang } = useI18n();
  const logout = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    onLogout();
  };
  const receiptDetail = /^\/groups\/(\d+)\/receipts\/(\d+)$/.exec(path);
  const receipts = /^\/groups\/(\d+)\/receipts$/.exec(path);
  const documents = /^\/groups\/(\d+)\/documents$/.exec(path);
  let page;
  if (receiptDetail) page = <ReceiptDetail groupId={Number(receiptDetail[1])} receiptId={Number(receiptDetail[2])} session={session} />;
  else if (receipts) page = <Receipts groupId={Number(receipts[1])} />;
  else if (documents) page = <Documents groupId={Number(documents[1])} />;
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
          <span>cr-server</span>
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
          <span className="me" title={session.user.name}>{session.user.login}</span>
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
