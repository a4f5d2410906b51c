import { useCallback, useEffect, useState } from 'react';
import { api, type DocumentsPage, type FiscalDocument, type Group } from '../api';
import { GroupTabs } from '../components/GroupTabs';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { DOC_KINDS, RECEIPT_TYPES, useI18n } from '../i18n';
import { Link } from '../router';

const PAGE = 20;

/** «Документы ФН»: the FN archive, newest first, read through the device queue; a click shows the FNS JSON. */
export function Documents({ groupId }: { groupId: number }) {
  const { t, pick, dateTime, lang } = useI18n();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const [items, setItems] = useState<FiscalDocument[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [last, setLast] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<FiscalDocument | null>(null);

  const load = useCallback(async (before: number | null) => {
    setLoading(true);
    try {
      const page = await api<DocumentsPage>('GET', `/service_groups/${groupId}/documents?limit=${PAGE}${before !== null ? `&before=${before}` : ''}`);
      setItems((old) => (before === null ? page.items : [...(old ?? []), ...page.items]));
      setNext(page.next_before);
      setLast(page.last_fd_number);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      if (before === null) setItems([]);
    } finally {
      setLoading(false);
    }
  }, [groupId]);

  useEffect(() => {
    setItems(null);
    void load(null);
  }, [load]);

  const money = (s: string | null) => (s === null ? '—' : Number(s).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { minimumFractionDigits: 2 }));
  const kindOf = (d: FiscalDocument) => {
    const kind = pick(DOC_KINDS[d.kind]) || d.kind;
    return d.operation_type !== null ? `${kind} · ${pick(RECEIPT_TYPES[d.operation_type])}` : kind;
  };

  return (
    <section>
      <div className="crumbs"><Link to="/groups">{t('groups.title')}</Link> /</div>
      <div className="page-head">
        <h1>{t('docs.title', { name: group.data?.name ?? `#${groupId}` })}</h1>
        <div className="row">
          {last !== null ? <span className="muted small-text">{t('docs.last', { n: last })}</span> : null}
          <button type="button" className="ghost" disabled={loading} onClick={() => void load(null)}>{t('common.refresh')}</button>
        </div>
      </div>
      <GroupTabs groupId={groupId} active="documents" />
      <p className="muted small-text">{t('docs.hint')}</p>
      {error ? <div className="alert error" role="alert">{error}</div> : null}
      {!items ? <p className="muted">{t('common.loading')}</p> : items.length === 0 ? (error ? null : <p className="empty">{t('docs.empty')}</p>) : (
        <div className="card table-card">
          <table className="table documents-table">
            <thead>
              <tr>
                <th>{t('docs.fd')}</th>
                <th>{t('docs.kind')}</th>
                <th>{t('docs.date')}</th>
                <th className="hide-sm">{t('docs.shift')}</th>
                <th className="num">{t('docs.sum')}</th>
                <th className="hide-sm">{t('docs.fiscal_sign')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.fd_number} className="clickable" data-fd={d.fd_number} tabIndex={0} onClick={() => setOpen(d)} onKeyDown={(e) => e.key === 'Enter' && setOpen(d)}>
                  <td><strong>{d.fd_number}</strong></td>
                  <td>{kindOf(d)}</td>
                  <td>{dateTime(d.date_time)}</td>
                  <td className="hide-sm">{d.shift_number || '—'}</td>
                  <td className="num">{money(d.total_sum)}</td>
                  <td className="hide-sm"><code>{d.fiscal_sign}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next !== null && items && items.length > 0 ? (
        <div className="center"><button type="button" className="secondary" disabled={loading} onClick={() => void load(next)}>{t('docs.more')}</button></div>
      ) : null}
      {open ? (
        <Modal title={t('docs.json_title', { n: open.fd_number })} onClose={() => setOpen(null)} wide>
          <p className="muted small-text">{kindOf(open)} · {dateTime(open.date_time)} · {t('docs.fiscal_sign')} <code>{open.fiscal_sign}</code></p>
          <pre className="json" data-testid="document-json">{JSON.stringify(open.json, null, 2)}</pre>
        </Modal>
      ) : null}
    </section>
  );
}
