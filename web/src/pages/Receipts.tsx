import { useEffect, useState, type FormEvent } from 'react';
import { errorText, useClient, type Group, type Receipt, type ReceiptList } from '../api';
import { Crumbs } from '../components/Crumbs';
import { GroupTabs } from '../components/GroupTabs';
import { useApi } from '../hooks';
import { RECEIPT_TYPES, useI18n } from '../i18n';
import { Link, navigate } from '../router';

const STATES = ['pending', 'processing', 'success', 'failed', 'in_doubt'] as const;

export function ReceiptState({ state }: { state: Receipt['state'] }) {
  const { t } = useI18n();
  const cls = state === 'success' ? 'ok' : state === 'failed' ? 'bad' : state === 'in_doubt' ? 'warn strong' : 'info';
  return <span className={`badge ${cls}`} data-state={state}>{t(`rstate.${state}`)}</span>;
}

interface Filters {
  date_start: string;
  date_end: string;
  state: string;
  order_id: string;
}
const EMPTY: Filters = { date_start: '', date_end: '', state: '', order_id: '' };

/** The CSV export of what the filters select (dates and state; all orders), headings in the page's language. */
function csvHref(groupId: number, f: Filters, lang: 'ru' | 'en'): string {
  const q = new URLSearchParams({ lang });
  for (const k of ['date_start', 'date_end', 'state'] as const) if (f[k]) q.set(k, f[k]);
  return `/admin/api/service_groups/${groupId}/receipts.csv?${q.toString()}`;
}

const query = (f: Filters, cursor: string | null) => {
  const q = new URLSearchParams();
  for (const k of ['date_start', 'date_end', 'state', 'order_id'] as const) if (f[k]) q.set(k, f[k]);
  q.set('limit', '50');
  if (cursor) q.set('cursor', cursor);
  return q.toString();
};

export function Receipts({ groupId }: { groupId: number }) {
  const { t, pick, dateTime, money, lang } = useI18n();
  const client = useClient();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [items, setItems] = useState<Receipt[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    client.call<ReceiptList>('GET', `/service_groups/${groupId}/receipts?${query(filters, null)}`).then(
      (r) => {
        if (!live) return;
        setItems(r.items);
        setNext(r.next_cursor);
        setError(null);
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [client, groupId, filters, tick]);

  // Receipts in flight change state within seconds: refresh while any is unresolved.
  useEffect(() => {
    if (!items?.some((r) => r.state === 'pending' || r.state === 'processing')) return;
    const id = setTimeout(() => setTick((n) => n + 1), 1500);
    return () => clearTimeout(id);
  }, [items]);

  const more = async () => {
    if (!next) return;
    const r = await client.call<ReceiptList>('GET', `/service_groups/${groupId}/receipts?${query(filters, next)}`);
    setItems((old) => [...(old ?? []), ...r.items]);
    setNext(r.next_cursor);
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const attention = items?.filter((r) => r.state === 'in_doubt' || r.state === 'failed').length ?? 0;

  return (
    <section>
      <Crumbs items={[{ to: '/groups', label: t('groups.title') }]} />
      <div className="page-head">
        <h1>{t('receipts.title', { name: group.data?.name ?? `#${groupId}` })}</h1>
        <button type="button" className="ghost" onClick={() => setTick((n) => n + 1)}>{t('common.refresh')}</button>
      </div>
      <GroupTabs groupId={groupId} active="receipts" />
      <form className="filters card" onSubmit={search}>
        <label className="field"><span className="label">{t('receipts.from')}</span><input type="date" name="date_start" value={draft.date_start} onChange={(e) => setDraft({ ...draft, date_start: e.target.value })} /></label>
        <label className="field"><span className="label">{t('receipts.to')}</span><input type="date" name="date_end" value={draft.date_end} onChange={(e) => setDraft({ ...draft, date_end: e.target.value })} /></label>
        <label className="field">
          <span className="label">{t('receipts.state')}</span>
          <select name="state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value })}>
            <option value="">{t('receipts.any')}</option>
            {STATES.map((s) => <option key={s} value={s}>{t(`rstate.${s}`)}</option>)}
          </select>
        </label>
        <label className="field"><span className="label">{t('receipts.order_id')}</span><input name="order_id" value={draft.order_id} onChange={(e) => setDraft({ ...draft, order_id: e.target.value })} maxLength={64} /></label>
        <div className="filter-buttons">
          <button type="submit" className="primary">{t('receipts.find')}</button>
          <button type="button" className="ghost" onClick={() => { setDraft(EMPTY); setFilters(EMPTY); }}>{t('receipts.reset')}</button>
          <a className="button ghost" download href={csvHref(groupId, filters, lang)}>{t('receipts.export_csv')}</a>
        </div>
      </form>
      {error ? <div className="alert error">{error}</div> : null}
      {attention > 0 ? <div className="alert warn">{t('receipts.attention', { n: attention })}</div> : null}
      {!items ? <p className="muted">{t('common.loading')}</p> : items.length === 0 ? <p className="empty" data-testid="receipts-empty">{t(filters.date_start || filters.date_end || filters.state || filters.order_id ? 'receipts.empty_filtered' : 'receipts.empty')}</p> : (
        <div className="card table-card">
          <table className="table receipts-table">
            <thead>
              <tr>
                <th>{t('receipts.id')}</th>
                <th>{t('receipts.created')}</th>
                <th className="hide-sm">{t('receipts.order_id')}</th>
                <th className="hide-sm">{t('receipts.type')}</th>
                <th className="hide-sm">{t('receipts.api_user')}</th>
                <th className="num">{t('receipts.sum')}</th>
                <th>{t('receipts.state')}</th>
                <th className="hide-sm">{t('receipts.fd')}</th>
                <th className="hide-sm">{t('receipts.fiscal_sign')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} className={`clickable row-${r.state}`} onClick={() => navigate(`/groups/${groupId}/receipts/${r.id}`)} data-receipt={r.id}>
                  <td><Link to={`/groups/${groupId}/receipts/${r.id}`}>{r.id}</Link></td>
                  <td>{dateTime(r.created_at)}</td>
                  <td className="hide-sm">{r.order_id ?? '—'}</td>
                  <td className="hide-sm">{pick(RECEIPT_TYPES[r.receiptType]) || r.receiptType}</td>
                  <td className="hide-sm">{r.user_login ?? '—'}</td>
                  <td className="num">{money(r.commodities_total_cost)}</td>
                  <td><ReceiptState state={r.state} /></td>
                  <td className="hide-sm">{r.receipt_num ?? '—'}</td>
                  <td className="hide-sm"><code>{r.fiscal_sign ?? '—'}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next ? <div className="center"><button type="button" className="secondary" onClick={() => void more()}>{t('receipts.more')}</button></div> : null}
    </section>
  );
}
