import type { AuditEntry } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

export function Audit() {
  const { t, dateTime } = useI18n();
  const { data, error } = useApi<AuditEntry[]>('/audit?limit=200');
  return (
    <section>
      <div className="page-head"><h1>{t('audit.title')}</h1></div>
      {error ? <div className="alert error">{error}</div> : null}
      {!data ? <p className="muted">{t('common.loading')}</p> : (
        <div className="card table-card">
          <table className="table">
            <thead><tr><th>{t('audit.at')}</th><th>{t('audit.who')}</th><th>{t('audit.action')}</th><th>{t('audit.target')}</th><th className="hide-sm">{t('audit.details')}</th><th className="hide-sm">{t('audit.ip')}</th></tr></thead>
            <tbody>
              {data.map((a) => (
                <tr key={a.id}>
                  <td>{dateTime(a.at)}</td>
                  <td>{a.login ?? '—'}</td>
                  <td><code>{a.action}</code></td>
                  <td>{a.target ?? '—'}</td>
                  <td className="hide-sm details-cell"><code>{a.details ?? ''}</code></td>
                  <td className="hide-sm">{a.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
