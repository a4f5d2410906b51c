import { useState } from 'react';
import type { AttentionItem, Overview as OverviewData } from '../api';
import { BarChart, PALETTE } from '../components/BarChart';
import { useApi } from '../hooks';
import { ATTENTION_CODES, useI18n } from '../i18n';
import { Link } from '../router';

/** The server's message of an item about one register, without its own «Register N: » (the page names the register in its language). */
const registerMessage = (a: AttentionItem): string => {
  const prefix = `Register ${a.device_id}: `;
  return a.device_id !== undefined && a.message.startsWith(prefix) ? a.message.slice(prefix.length) : a.message;
};

export function Overview() {
  const { t, tOr, num, money, pick } = useI18n();
  const [days, setDays] = useState(14);
  const tz = -new Date().getTimezoneOffset();
  const { data, error } = useApi<OverviewData>(`/overview?days=${days}&tz_offset=${tz}`, 15000);

  return (
    <section>
      <div className="page-head">
        <h1>{t('overview.title')}</h1>
        <div className="seg" role="group">
          {[7, 14, 30].map((n) => (
            <button key={n} type="button" className={n === days ? 'on' : ''} onClick={() => setDays(n)}>{t('overview.days', { n })}</button>
          ))}
        </div>
      </div>
      {error ? <div className="alert error">{error}</div> : null}
      {!data ? <p className="muted">{t('common.loading')}</p> : (
        <>
          <div className="card attention">
            <h2>{t('overview.attention')}</h2>
            {data.attention.length === 0 ? <p className="ok-text">✓ {t('overview.all_good')}</p> : (
              <ul className="attention-list">
                {data.attention.map((a: AttentionItem, i) => (
                  <li key={i} className={a.severity}>
                    <span className={`badge ${a.severity === 'error' ? 'bad' : 'warn'}`} data-code={a.code}>{pick(ATTENTION_CODES[a.code]) || a.code}</span>
                    {a.code === 'orphan_documents' ? (
                      <>
                        <Link to={`/orphans?group=${a.group_id}`}>{a.group_name}</Link>
                        <span className="msg">{t('attention.orphan_documents', { n: a.count ?? 0 })}</span>
                      </>
                    ) : (
                      <>
                        <Link to="/groups">{a.group_name}</Link>
                        {a.device_id !== undefined ? <span className="attention-register" data-device-id={a.device_id}>{t('overview.register', { id: a.device_id })}:</span> : null}
                        <span className="msg">{registerMessage(a)}</span>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="chart-grid">
            <div className="card">
              <h2>{t('overview.receipts_per_day')}</h2>
              <BarChart labels={data.days} series={data.groups.map((g) => ({ name: g.name, values: g.counts }))} format={(n) => num(n)} empty={t('overview.no_receipts')} />
            </div>
            <div className="card">
              <h2>{t('overview.sums_per_day')}</h2>
              <BarChart labels={data.days} series={data.groups.map((g) => ({ name: g.name, values: g.sums }))} format={(n) => num(n)} empty={t('overview.no_receipts')} />
            </div>
          </div>
          <div className="card table-card">
            <h2 className="pad">{t('overview.by_group')}</h2>
            <table className="table">
              <thead>
                <tr><th>{t('groups.name')}</th><th className="num">{t('receipts.count')}</th><th className="num">{t('receipts.sum')}, ₽</th><th className="hide-sm">{t('receipts.state')}</th></tr>
              </thead>
              <tbody>
                {data.groups.length === 0 ? (
                  <tr><td colSpan={4} className="empty-cell" data-testid="groups-empty">{t('overview.no_groups')}</td></tr>
                ) : data.groups.map((g, k) => {
                  const states = Object.entries(g.by_state);
                  return (
                    <tr key={g.id}>
                      <td><span className="swatch" data-color={k % PALETTE.length} /> <Link to={`/groups/${g.id}/receipts`}>{g.name}</Link></td>
                      <td className="num">{num(g.counts.reduce((a, b) => a + b, 0))}</td>
                      <td className="num">{money(g.sums.reduce((a, b) => a + b, 0))}</td>
                      <td className="hide-sm">
                        {states.length === 0 ? <span className="muted">{t('receipts.empty')}</span> : states.map(([s, n]) => (
                          <span key={s} className={`badge ${s === 'success' ? 'ok' : s === 'failed' ? 'bad' : s === 'in_doubt' ? 'warn' : 'info'}`}>{tOr(`rstate.${s}`, s)}: {n}</span>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
