import { useCallback, useEffect, useState } from 'react';
import { errorText, useClient, type DocumentsPage, type FiscalDocument, type Group } from '../api';
import { GroupTabs } from '../components/GroupTabs';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { DOC_KINDS, RECEIPT_TYPES, useI18n } from '../i18n';
import { Crumbs } from '../components/Crumbs';
import { poolOf } from './RegisterPool';

const PAGE = 20;

/** «Документы ФН»: the FN archive, newest first, read through the device queue; a click shows the FNS JSON. */
export function Documents({ groupId }: { groupId: number }) {
  const { t, pick, dateTime, money } = useI18n();
  const client = useClient();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const [items, setItems] = useState<FiscalDocument[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [last, setLast] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [open, setOpen] = useState<FiscalDocument | null>(null);
  // A pool of more than one register: whose FN archive is read (null: the group's first register, the API's default).
  const [registerId, setRegisterId] = useState<number | null>(null);
  const pool = group.data ? poolOf(group.data) : [];

  // Reading the FN archive goes through the device queue: one page at a time, state set on arrival.
  const fetchPage = useCallback(
    (before: number | null) => client.call<DocumentsPage>('GET', `/service_groups/${groupId}/documents?limit=${PAGE}${before !== null ? `&before=${before}` : ''}${registerId !== null ? `&register_id=${registerId}` : ''}`),
    [client, groupId, registerId],
  );
  const show = useCallback((before: number | null, page: DocumentsPage | null, e?: unknown) => {
    if (page) {
      setItems((old) => (before === null ? page.items : [...(old ?? []), ...page.items]));
      setNext(page.next_before);
      setLast(page.last_fd_number);
      setError(null);
    } else {
      setError(errorText(e));
      if (before === null) setItems([]);
    }
    setLoading(false);
  }, []);
  const load = (before: number | null) => {
    setLoading(true);
    fetchPage(before).then((page) => show(before, page), (e: unknown) => show(before, null, e));
  };

  // A new group mounts a new page (App keys it by group), so nothing stale is shown meanwhile.
  useEffect(() => {
    let live = true;
    fetchPage(null).then(
      (page) => {
        if (live) show(null, page);
      },
      (e: unknown) => {
        if (live) show(null, null, e);
      },
    );
    return () => {
      live = false;
    };
  }, [fetchPage, show]);

  const kindOf = (d: FiscalDocument) => {
    const kind = pick(DOC_KINDS[d.kind]) || d.kind;
    return d.operation_type !== null ? `${kind} · ${pick(RECEIPT_TYPES[d.operation_type])}` : kind;
  };

  return (
    <section>
      <Crumbs items={[{ to: '/groups', label: t('groups.title') }]} />
      <div className="page-head">
        <h1>{t('docs.title', { name: group.data?.name ?? `#${groupId}` })}</h1>
        <div className="row">
          {pool.length > 1 ? (
            <label className="register-select">
              {t('pool.register_short')}
              <select
                name="register_id"
                value={registerId ?? group.data?.device?.id ?? ''}
                onChange={(e) => {
                  setItems(null);
                  setNext(null);
                  setLast(null);
                  setLoading(true);
                  setRegisterId(Number(e.target.value));
                }}
              >
                {pool.map((r) => <option key={r.id} value={r.id}>{t('pool.register', { id: r.id })}{r.registration ? ` · ${r.registration.fn_serial}` : ''}</option>)}
              </select>
            </label>
          ) : null}
          {last !== null ? <span className="muted small-text">{t('docs.last', { n: last })}</span> : null}
          <button type="button" className="ghost" disabled={loading} onClick={() => load(null)}>{t('common.refresh')}</button>
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
        <div className="center"><button type="button" className="secondary" disabled={loading} onClick={() => load(next)}>{t('docs.more')}</button></div>
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
