import { useState, type ReactNode } from 'react';
import type { Group, Receipt, Session } from '../api';
import { useApi } from '../hooks';
import { PAYMENT_TYPES, RECEIPT_TYPES, TAX_SYSTEMS, useI18n } from '../i18n';
import { Link } from '../router';
import { ReceiptState } from './Receipts';

export function ReceiptDetail({ groupId, receiptId, session }: { groupId: number; receiptId: number; session: Session }) {
  const { t, pick, dateTime } = useI18n();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const { data: r, error } = useApi<Receipt>(`/service_groups/${groupId}/receipts/${receiptId}`);
  const [showPrint, setShowPrint] = useState(false);
  const printUrl = `/service_groups/${groupId}/receipts/${receiptId}/print`;
  const kv = (label: string, value: ReactNode) => (
    <div className="kv"><dt>{label}</dt><dd>{value === null || value === undefined || value === '' ? '—' : value}</dd></div>
  );

  return (
    <section>
      <div className="crumbs">
        <Link to="/groups">{t('groups.title')}</Link> / <Link to={`/groups/${groupId}/receipts`}>{group.data?.name ?? `#${groupId}`}</Link> /
      </div>
      <div className="page-head">
        <h1>{t('receipts.detail', { id: receiptId })}</h1>
        {r ? <ReceiptState state={r.state} /> : null}
      </div>
      {error ? <div className="alert error">{error}</div> : null}
      {!r ? (error ? null : <p className="muted">{t('common.loading')}</p>) : (
        <>
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
              {kv('Дата ФД / FD time', r.registration_datetime)}
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
          {session.features.print_view && r.state === 'success' ? (
            <div className="print-box">
              <h3>{t('receipts.print')}</h3>
              <div className="row">
                <a className="button secondary" href={printUrl} target="_blank" rel="noopener">{t('receipts.print_open')}</a>
                <button type="button" className="ghost" onClick={() => setShowPrint(!showPrint)}>{t('receipts.print_show')}</button>
              </div>
              {showPrint ? <iframe className="print-frame" src={printUrl} title={t('receipts.print')} sandbox="allow-same-origin allow-modals" /> : null}
            </div>
          ) : null}
          <details className="raw">
            <summary>{t('receipts.all_fields')}</summary>
            <pre>{JSON.stringify(r, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}
