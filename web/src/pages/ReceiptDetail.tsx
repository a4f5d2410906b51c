import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText, useClient, type Group, type Receipt } from '../api';
import { Crumbs } from '../components/Crumbs';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { PAYMENT_TYPES, RECEIPT_TYPES, TAX_SYSTEMS, VAT_NAMES, useI18n } from '../i18n';
import { ReceiptState } from './Receipts';

type Action = 'retry' | 'cancel';

export function ReceiptDetail({ groupId, receiptId }: { groupId: number; receiptId: number }) {
  const { t, pick, dateTime, money, roubles, qty, model } = useI18n();
  const client = useClient();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const { data: r, error, reload, setData } = useApi<Receipt>(`/service_groups/${groupId}/receipts/${receiptId}`);
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const printUrl = `/admin/api/service_groups/${groupId}/receipts/${receiptId}/print`;
  const kv = (label: string, value: ReactNode, testId?: string) => (
    <div className="kv" data-testid={testId}><dt>{label}</dt><dd>{value === null || value === undefined || value === '' ? '—' : value}</dd></div>
  );

  // A receipt in the queue or in the device changes state within seconds: follow it in place.
  const inFlight = r?.state === 'pending' || r?.state === 'processing';
  useEffect(() => {
    if (!inFlight) return;
    const id = setTimeout(reload, 1000);
    return () => clearTimeout(id);
  }, [inFlight, r, reload]);

  const act = async (action: Action) => {
    setBusy(true);
    setActionError(null);
    try {
      const updated = await client.call<Receipt>('POST', `/service_groups/${groupId}/receipts/${receiptId}/${action}`);
      setData(updated);
      setConfirming(null);
      setNotice(t(action === 'retry' ? 'receipts.retried' : 'receipts.canceled'));
    } catch (e) {
      setActionError(errorText(e));
      reload();
    } finally {
      setBusy(false);
    }
  };
  const printable = r?.state === 'success';

  return (
    <section>
      <Crumbs items={[{ to: '/groups', label: t('groups.title') }, { to: `/groups/${groupId}/receipts`, label: group.data?.name ?? `#${groupId}` }]} />
      <div className="page-head">
        <div className="title-row">
          <h1>{t('receipts.detail', { id: receiptId })}</h1>
          {r ? <ReceiptState state={r.state} /> : null}
        </div>
        <div className="row">
          {r?.state === 'failed' ? (
            <button type="button" className="primary" data-testid="retry" onClick={() => { setActionError(null); setConfirming('retry'); }}>↻ {t('receipts.retry')}</button>
          ) : null}
          {r?.state === 'pending' ? (
            <button type="button" className="ghost danger" data-testid="cancel" onClick={() => { setActionError(null); setConfirming('cancel'); }}>✕ {t('receipts.cancel')}</button>
          ) : null}
        </div>
      </div>
      {error ? <div className="alert error">{error}</div> : null}
      {notice ? <div className="alert ok" role="status">{notice}</div> : null}
      {actionError && !confirming ? <div className="alert error" role="alert">{actionError}</div> : null}
      {!r ? (error ? null : <p className="muted">{t('common.loading')}</p>) : (
        <div className={printable ? 'receipt-layout with-print' : 'receipt-layout'}>
          <div className="receipt-main">
            {r.error ? (
              <div className={`alert ${r.state === 'in_doubt' ? 'warn' : 'error'}`} role="alert">
                <strong>{t('receipts.error')}:</strong> {r.error.message} <code>{r.error.code}</code>{r.error.device_code ? <code>{r.error.device_code}</code> : null}
              </div>
            ) : null}
            <div className="detail-grid">
              <dl className="card kv-list">
                {kv(t('receipts.type'), pick(RECEIPT_TYPES[r.receiptType]))}
                {kv(t('receipts.sum'), roubles(r.commodities_total_cost), 'receipt-sum')}
                {kv(t('receipts.tax_system'), pick(TAX_SYSTEMS[r.tax_system]))}
                {kv(t('receipts.order_id'), r.order_id)}
                {kv(t('receipts.api_user'), r.user_login, 'receipt-user')}
                {kv(t('receipts.email'), r.email)}
                {kv(t('receipts.phone'), r.phone_number)}
                {kv(t('receipts.created'), dateTime(r.created_at))}
              </dl>
              <dl className="card kv-list">
                {kv(t('receipts.fd'), r.receipt_num)}
                {kv(t('receipts.fiscal_sign'), r.fiscal_sign ? <code>{r.fiscal_sign}</code> : null)}
                {kv(t('receipts.fd_time'), r.registration_datetime ? dateTime(r.registration_datetime) : null)}
                {kv(t('receipts.shift_receipt'), r.shift_num !== null ? `${r.shift_num} / ${r.receipt_in_shift_num ?? '—'}` : null)}
                {kv(t('receipts.company'), r.company_name, 'receipt-company')}
                {kv(t('device.inn'), r.company_inn)}
                {kv(t('device.rnm'), r.registration_number)}
                {kv(t('device.fn_serial'), r.fn_serial)}
                {group.data?.device_model_name ? kv(t('device.model'), model(group.data.device_model_name)) : null}
              </dl>
            </div>
            <h3>{t('receipts.items')}</h3>
            <div className="card table-card">
              <table className="table items-table">
                <thead>
                  <tr>
                    <th>{t('receipts.item_name')}</th>
                    <th className="num">{t('receipts.quantity')}</th>
                    <th className="num">{t('receipts.price')}</th>
                    <th className="num">{t('receipts.item_total')}</th>
                    <th className="hide-sm">{t('receipts.vat')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.commodities.length === 0 ? <tr><td colSpan={5} className="empty-cell">{t('receipts.no_items')}</td></tr> : r.commodities.map((c, i) => (
                    <tr key={i}>
                      <td>{c.name}</td>
                      <td className="num">{qty(c.quantity)}{c.quantity_unit ? ` ${c.quantity_unit}` : ''}</td>
                      <td className="num">{money(c.price)}</td>
                      <td className="num">{money(c.total)}</td>
                      <td className="hide-sm">{pick(VAT_NAMES[c.tax_type]) || c.tax_type}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>{t('receipts.payments')}</h3>
            <div className="card table-card">
              <table className="table payments-table">
                <thead><tr><th>{t('receipts.payment_type')}</th><th className="num">{t('receipts.payment_sum')}</th></tr></thead>
                <tbody>
                  {r.payments.length === 0 ? <tr><td colSpan={2} className="empty-cell">{t('receipts.no_payments')}</td></tr> : r.payments.map((p, i) => (
                    <tr key={i}><td>{pick(PAYMENT_TYPES[p.payment_type_int]) || p.payment_type_int}</td><td className="num">{money(p.payment_sum)}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
            <details className="raw">
              <summary>{t('receipts.all_fields')}</summary>
              <pre>{JSON.stringify(r, null, 2)}</pre>
            </details>
          </div>
          {printable ? <PrintView url={printUrl} /> : null}
        </div>
      )}
      {confirming ? (
        <Modal
          title={t(confirming === 'retry' ? 'receipts.retry_title' : 'receipts.cancel_title', { id: receiptId })}
          onClose={() => setConfirming(null)}
          onSubmit={() => act(confirming)}
          submitLabel={t(confirming === 'retry' ? 'receipts.retry' : 'receipts.cancel')}
          busy={busy}
          danger={confirming === 'cancel'}
          error={actionError}
        >
          <p className="confirm-text">{t(confirming === 'retry' ? 'receipts.retry_confirm' : 'receipts.cancel_confirm')}</p>
        </Modal>
      ) : null}
    </section>
  );
}

/** The paper receipt (served by the admin API, framed SAMEORIGIN), sized to its content. */
function PrintView({ url }: { url: string }) {
  const { t } = useI18n();
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(720);
  const fit = () => {
    const doc = frame.current?.contentDocument;
    if (doc?.documentElement) setHeight(Math.max(200, doc.documentElement.scrollHeight));
  };
  return (
    <aside className="print-box" aria-label={t('receipts.print')}>
      <div className="print-head">
        <h3>{t('receipts.print')}</h3>
        <a className="button secondary small" href={url} target="_blank" rel="noopener" data-testid="print-open">{t('receipts.print_open')} ↗</a>
      </div>
      <iframe ref={frame} className="print-frame" src={url} title={t('receipts.print')} sandbox="allow-same-origin" style={{ height }} onLoad={fit} />
    </aside>
  );
}
