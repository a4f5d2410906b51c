import { useState, type FormEvent } from 'react';
import { errorText, useClient, type Session } from '../api';
import { useI18n } from '../i18n';

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const { t, lang, setLang } = useI18n();
  const client = useClient();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await client.call<Session>('POST', '/session', { login, password }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <form className="login-card" onSubmit={(e) => void submit(e)}>
        <div className="brand big">
          <span className="logo" aria-hidden="true">₽</span>
          <span>cr-server</span>
        </div>
        <h1>{t('login.title')}</h1>
        <p className="muted">{t('login.hint')}</p>
        {error ? <div className="alert error" role="alert">{error}</div> : null}
        <label className="field">
          <span className="label">{t('login.login')}</span>
          <input name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          <span className="label">{t('login.password')}</span>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <button type="submit" className="primary block" disabled={busy}>{t('login.submit')}</button>
        <button type="button" className="link" onClick={() => setLang(lang === 'ru' ? 'en' : 'ru')}>{t('lang.switch')}</button>
      </form>
    </div>
  );
}
