import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, type Group, type Receipt, type Session } from '../api';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { PAYMENT_TYPES, RECEIPT_TYPES, TAX_SYSTEMS, useI18n } from '../i18n';
import { Link } from '../router';
import { ReceiptState } from './Receipts';

type Action = 'retry' | 'cancel';

export function ReceiptDetail({ groupId, receiptId, session }: { groupId: number; receiptId: number; session: Session }) {
  const { t, pick, dateTime } = useI18n();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const { data: r, error, reload, setData } = useApi<Receipt>(`/service_groups/${groupId}/receipts/${receiptId}`);
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const printUrl = `/admin/api/service_groups/${groupId}/receipts/${receiptId}/print`;
  const kv = (label: string, value: ReactNode) => (
    <div className="kv"><dt>{label}</dt><dd>{value === null || value === undefined || value === '' ? '—' : value}</dd></div>
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
      const updated = await api<Receipt>('POST', `/service_groups/${groupId}/receipts/${receiptId}/${action}`);
      setData(updated);
      setConfirming(null);
      setNotice(t(action === 'retry' ? 'receipts.retried' : 'receipts.canceled'));
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
      reload();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <div className="crumbs">
        <Link to="/groups">{t('groups.title')}</Link> / <Link to={`/groups/${groupId}/receipts`}>{group.data?.name ?? `#${groupId}`}</Link> /
      </div>
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
        <div className={session.features.print_view && r.state === 'success' ? 'receipt-layout with-print' : 'receipt-layout'}>
          <div className="receipt-main">
            {r.error ? (
              <div className={`alert ${r.state === 'in_doubt' ? 'warn' : 'error'}`} role="alert">
                <strong>{t('receipts.error')}:</strong> {r.error.message} <code>{r.error.code}</code>{r.error.device_code ? <code>{r.error.device_code}</code> : null}
              </div>
            ) : null}
            <div className="detail-grid">
              <dl className="card kv-list">
                {kv(t('receipts.type'), pick(RECEIPT_TYPES[r.receiptType]))}
                {kv(t('receipts.sum'), `${r.commodities_total_cost} ₽`)}
                {kv(t('receipts.tax_system'), pick(TAX_SYSTEMS[r.tax_system]))}
                {kv(t('receipts.order_id'), r.order_id)}
                {kv('Email', r.email)}
                {kv('Телефон / Phone', r.phone_number)}
                {kv(t('receipts.created'), dateTime(r.created_at))}
              </dl>
              <dl className="card kv-list">
                {kv(t('receipts.fd'), r.receipt_num)}
                {kv(t('receipts.fiscal_sign'), r.fiscal_sign ? <code>{r.fiscal_sign}</code> : null)}
                {kv(t('groups.shift_state'), r.shift_num !== null ? `${r.shift_num} / ${r.receipt_in_shift_num ?? '—'}` : null)}
                {kv(t('device.fn_serial'), r.fn_serial as string | null)}
                {kv(t('device.rnm'), r.registration_number as string | null)}
                {kv(t('device.company'), r.company_name as string | null)}
                {kv('Дата ФД / FD time', r.registration_datetime ? dateTime(r.registration_datetime) : null)}
              </dl>
            </div>
            <h3>{t('receipts.items')}</h3>
            <div className="card table-card">
              <table className="table">
                <thead><tr><th>{t('groups.name')}</th><th className="num">×</th><th className="num">₽</th><th className="num">Σ</th><th className="hide-sm">НДС / VAT</th></tr></thead>
                <tbody>
                  {r.commodities.map((c, i) => (
                    <tr key={i}><td>{c.name}</td><td className="num">{c.quantity}</td><td className="num">{c.price}</td><td className="num">{c.total}</td><td className="hide-sm">{c.tax_type}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>{t('receipts.payments')}</h3>
            <div className="card table-card">
              <table className="table">
                <tbody>
                  {r.payments.map((p, i) => (
                    <tr key={i}><td>{pick(PAYMENT_TYPES[p.payment_type_int]) || p.payment_type_int}</td><td className="num">{p.payment_sum} ₽</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
            <details className="raw">
              <summary>{t('receipts.all_fields')}</summary>
              <pre>{JSON.stringify(r, null, 2)}</pre>
            </details>
          </div>
          {session.features.print_view && r.state === 'success' ? <PrintView url={printUrl} /> : null}
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
