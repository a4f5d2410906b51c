import { useEffect, useState } from 'react';
import { errorText, useClient, type Group, type OrphanDocument, type OrphanList } from '../api';
import { orphansChanged } from '../components/OrphanBanner';
import { useApi } from '../hooks';
import { DOC_KINDS, useI18n } from '../i18n';
import { Link } from '../router';

const groupOfUrl = () => new URLSearchParams(location.search).get('group') ?? '';

/**
 * «Фискальные документы без чека»: receipt documents the FN journal reconciliation found that no
 * receipt owns. Each stays here (and in the red banner) until a superuser acknowledges it.
 */
export function Orphans() {
  const { t, pick, dateTime, money } = useI18n();
  const client = useClient();
  const [group, setGroup] = useState(groupOfUrl);
  const [showAcknowledged, setShowAcknowledged] = useState(false);
  const [busy, setBusy] = useState<number | null>(null);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const groups = useApi<Group[]>('/service_groups');
  const list = useApi<OrphanList>(`/orphan-documents?limit=500${group ? `&service_group=${group}` : ''}${showAcknowledged ? '' : '&open=true'}`, 10_000);

  // The banner's link (no ?group) or a group's link while this page is open.
  useEffect(() => {
    const on = () => setGroup(groupOfUrl());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);

  const acknowledge = async (o: OrphanDocument) => {
    setBusy(o.id);
    setNotice(null);
    try {
      await client.call<OrphanDocument>('POST', `/orphan-documents/${o.id}/acknowledge`);
      setNotice({ kind: 'ok', text: t('orphans.acknowledged_ok', { n: o.fd_number }) });
    } catch (e) {
      setNotice({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(null);
      list.reload();
      orphansChanged();
    }
  };

  return (
    <section>
      <div className="page-head">
        <h1>{t('orphans.title')}</h1>
        <div className="row">
          {list.data ? <span className={`badge ${list.data.open_count > 0 ? 'bad' : 'ok'}`}>{t('orphans.open', { n: list.data.open_count })}</span> : null}
          <button type="button" className="ghost" onClick={list.reload}>{t('common.refresh')}</button>
        </div>
      </div>
      <div className="alert error orphan-explain">
        <strong>{t('orphans.hint')}</strong>
        <div className="small-text">{t('orphans.detail')}</div>
      </div>
      <div className="row orphan-filters">
        <label className="field inline">
          <span className="label">{t('orphans.group')}</span>
          <select name="service_group" value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">{t('orphans.all_groups')}</option>
            {(groups.data ?? []).map((g) => <option key={g.id} value={String(g.id)}>{g.name}</option>)}
          </select>
        </label>
        <label className="field inline">
          <input type="checkbox" name="show_acknowledged" checked={showAcknowledged} onChange={(e) => setShowAcknowledged(e.target.checked)} />
          <span className="label">{t('orphans.show_acknowledged')}</span>
        </label>
      </div>
      {notice ? <div className={`alert ${notice.kind}`} role="status">{notice.text}</div> : null}
      {list.error ? <div className="alert error">{list.error}</div> : null}
      {!list.data ? <p className="muted">{t('common.loading')}</p> : list.data.items.length === 0 ? <p className="empty">{t('orphans.empty')}</p> : (
        <div className="card table-card">
          <table className="table orphans-table">
            <thead>
              <tr>
                <th>{t('docs.fd')}</th>
                <th>{t('orphans.kind')}</th>
                <th className="num">{t('orphans.sum')}</th>
                <th>{t('orphans.document_at')}</th>
                <th>{t('orphans.found')}</th>
                <th>{t('orphans.group')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((o) => (
                <tr key={o.id} data-orphan-id={o.id} data-fd={o.fd_number} className={o.acknowledged_at ? 'dim' : 'row-failed'}>
                  <td><strong>{o.fd_number}</strong>{o.fiscal_sign ? <div className="muted small-text">{t('docs.fiscal_sign')} <code>{o.fiscal_sign}</code></div> : null}</td>
                  <td>{pick(DOC_KINDS[o.kind]) || o.kind}</td>
                  <td className="num">{money(o.total_sum)}</td>
                  <td>{dateTime(o.document_at)}</td>
                  <td>{dateTime(o.found_at)}<div className="muted small-text">{t('orphans.node', { node: o.found_by })}</div></td>
                  <td><Link to={`/groups/${o.group_id}/documents`}>{o.group_name}</Link></td>
                  <td className="actions">
                    {o.acknowledged_at ? (
                      <span className="muted small-text">{t('orphans.acknowledged', { login: o.acknowledged_by ?? '—', t: dateTime(o.acknowledged_at) })}</span>
                    ) : (
                      <button type="button" className="danger-solid small" disabled={busy !== null} onClick={() => void acknowledge(o)}>{t('orphans.acknowledge')}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
