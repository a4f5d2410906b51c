import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText, useClient, type Group, type MarkingCheckView, type Ok, type Receipt, type ReceiptItem } from '../api';
import { Crumbs } from '../components/Crumbs';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { AGENT_SIGNS, MEASURES, PAYMENT_TYPES, PLANNED_STATUSES, RECEIPT_TYPES, TAX_SYSTEMS, VAT_NAMES, agentSignBits, useI18n } from '../i18n';
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
  const agents = (mask: number | null | undefined) => (mask ? agentSignBits(mask).map((bit) => pick(AGENT_SIGNS[bit])).join(', ') : null);
  // FFD 1.2 requisites of the whole receipt (buyer 1256, agent 1057, 1084, 1270): a card when any is there.
  const receiptExtras = r && (r.buyer || r.agent_sign || r.user_requisite || r.operational_requisite) ? (
    <dl className="card kv-list" data-testid="receipt-ffd12">
      {r.buyer ? (
        <>
          <h4>{t('receipts.buyer')}</h4>
          {kv(t('receipts.buyer_name'), r.buyer.name, 'buyer-name')}
          {kv(t('receipts.buyer_inn'), r.buyer.inn ? <code>{r.buyer.inn}</code> : null, 'buyer-inn')}
          {r.buyer.birth_date ? kv(t('receipts.buyer_birth'), r.buyer.birth_date) : null}
          {r.buyer.citizenship ? kv(t('receipts.buyer_citizenship'), r.buyer.citizenship) : null}
          {r.buyer.document_code || r.buyer.document_data ? kv(t('receipts.buyer_document'), [r.buyer.document_code, r.buyer.document_data].filter(Boolean).join(', ')) : null}
          {r.buyer.address ? kv(t('receipts.buyer_address'), r.buyer.address) : null}
        </>
      ) : null}
      {r.agent_sign ? kv(t('receipts.receipt_agent'), agents(r.agent_sign)) : null}
      {r.user_requisite ? kv(t('receipts.user_requisite'), `${r.user_requisite.name}: ${r.user_requisite.value}`) : null}
      {r.operational_requisite ? kv(t('receipts.operational'), `${r.operational_requisite.id} · ${r.operational_requisite.data} · ${r.operational_requisite.date_time}`) : null}
    </dl>
  ) : null;

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
            {receiptExtras}
            {r.callback ? <CallbackPanel groupId={groupId} receiptId={receiptId} callback={r.callback} final={r.state === 'success' || r.state === 'failed'} onChanged={reload} /> : null}
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
                    <tr key={i} data-item={i}>
                      <td>
                        {c.name}
                        <ItemExtras item={c} fiscalized={r.receipt_num !== null} />
                      </td>
                      <td className="num">{qty(c.quantity)}{c.quantity_unit ? ` ${c.quantity_unit}` : c.measure && MEASURES[c.measure] ? ` ${pick(MEASURES[c.measure])}` : ''}</td>
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

/** GS (0x1D) separates a GS1 code's fields: shown as «<GS>» (its control picture ␝ is missing from common fonts). */
const visibleCode = (code: string) => code.replaceAll('\u001d', '<GS>');
const CODE_SHOWN = 32;

/** An item's FFD 1.2 content under its name: marking code, planned status, the 2106 check, agent, supplier… */
function ItemExtras({ item: c, fiscalized }: { item: ReceiptItem; fiscalized: boolean }) {
  const { t, pick } = useI18n();
  const rows: { key: string; label: string; value: ReactNode }[] = [];
  if (c.marking_code) {
    const full = visibleCode(c.marking_code);
    const short = full.length > CODE_SHOWN ? `${full.slice(0, CODE_SHOWN - 1)}…` : full;
    rows.push({ key: 'marking_code', label: t('receipts.marking_code'), value: <code title={full} data-testid="marking-code">{short}</code> });
    if (c.planned_status !== null && c.planned_status !== undefined) {
      rows.push({ key: 'planned_status', label: t('receipts.planned_status'), value: pick(PLANNED_STATUSES[c.planned_status]) || String(c.planned_status) });
    }
    rows.push({
      key: 'marking_check',
      label: t('receipts.marking_check'),
      value: c.marking_check ? <MarkingCheck check={c.marking_check} /> : fiscalized ? '—' : <span className="muted">{t('receipts.marking_unchecked')}</span>,
    });
  }
  if (c.fractional_quantity) {
    rows.push({ key: 'fractional', label: t('receipts.fractional'), value: t('receipts.fractional_value', { n: c.fractional_quantity.numerator, d: c.fractional_quantity.denominator }) });
  }
  if (c.product_code) rows.push({ key: 'product_code', label: t('receipts.product_code'), value: <><span className="muted">{c.product_code.kind}</span> <code>{c.product_code.value}</code></> });
  if (c.agent_sign) {
    const phones = c.agent?.phones.join(', ');
    rows.push({ key: 'agent', label: t('receipts.agent'), value: [agentSignBits(c.agent_sign).map((bit) => pick(AGENT_SIGNS[bit])).join(', '), c.agent?.operation, phones].filter(Boolean).join(' · ') });
  }
  if (c.supplier) {
    rows.push({ key: 'supplier', label: t('receipts.supplier'), value: [c.supplier.name, t('receipts.inn_value', { inn: c.supplier.inn }), c.supplier.phones.join(', ')].filter(Boolean).join(' · ') });
  }
  if (c.excise) rows.push({ key: 'excise', label: t('receipts.excise'), value: c.excise });
  if (c.country_code) rows.push({ key: 'country', label: t('receipts.country'), value: c.country_code });
  if (c.customs_declaration) rows.push({ key: 'customs', label: t('receipts.customs'), value: c.customs_declaration });
  if (c.additional_requisite) rows.push({ key: 'additional', label: t('receipts.additional'), value: c.additional_requisite });
  if (rows.length === 0) return null;
  return (
    <dl className="item-extras" data-testid="item-ffd12">
      {rows.map((row) => <div key={row.key} data-field={row.key}><dt>{row.label}</dt><dd>{row.value}</dd></div>)}
    </dl>
  );
}

/** Tag 2106 decoded: what the FN and the marking operator said, and whether it was formed without an answer. */
function MarkingCheck({ check: m }: { check: MarkingCheckView }) {
  const { t } = useI18n();
  const fn = !m.fn_checked ? ['', t('receipts.fn_unchecked')] : m.fn_valid ? ['ok', t('receipts.fn_valid')] : ['bad', t('receipts.fn_invalid')];
  const op = m.operator_checked ? (m.operator_status_correct ? ['ok', t('receipts.operator_ok')] : ['bad', t('receipts.operator_bad')])
    : m.autonomous ? ['warn', t('receipts.operator_no_answer')] : ['', t('receipts.operator_unchecked')];
  return (
    <span className="marking-check" data-testid="marking-check">
      <span className={`badge ${fn[0] ?? ''}`}>{fn[1]}</span>
      <span className={`badge ${op[0] ?? ''}`}>{op[1]}</span>
      {m.autonomous ? <span className="badge warn">{t('receipts.autonomous')}</span> : null}
      <code title="2106">2106 = {m.result}</code>
    </span>
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

type CallbackBlock = NonNullable<Receipt['callback']>;
type CallbackLog = Ok<'/admin/api/service_groups/{id}/receipts/{receipt_id}/callbacks'>;

/** A delivery's state as a badge (here and on the group's «Уведомления»). */
export const CALLBACK_BADGES: Record<string, string> = { pending: 'warn', delivered: 'ok', failed: 'bad' };

/**
 * The receipt's completion callback: where it goes, how its latest delivery stands, every attempt
 * (newest first, with the node that sent it), and «Повторить отправку» once the receipt is final.
 * Followed in place while a delivery is still being sent.
 */
function CallbackPanel({ groupId, receiptId, callback: cb, final, onChanged }: { groupId: number; receiptId: number; callback: CallbackBlock; final: boolean; onChanged: () => void }) {
  const { t, tOr, dateTime, num } = useI18n();
  const client = useClient();
  const { data: log, error, reload } = useApi<CallbackLog>(`/service_groups/${groupId}/receipts/${receiptId}/callbacks`);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  // The receipt view moved on (its outcome, a new attempt): read the log again.
  useEffect(reload, [cb.state, cb.attempts, reload]);
  const sending = log?.deliveries.some((d) => d.state === 'pending') ?? false;
  useEffect(() => {
    if (!sending) return;
    const id = setTimeout(() => {
      reload();
      onChanged();
    }, 1500);
    return () => clearTimeout(id);
  }, [sending, log, reload, onChanged]);

  const resend = async () => {
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      await client.call('POST', `/service_groups/${groupId}/receipts/${receiptId}/callbacks/resend`);
      setNotice(t('callbacks.resent'));
      reload();
      onChanged();
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const errorName = (code: string | null) => (code ? tOr(`cberror.${code}`, code) : null);
  const rows = (log?.deliveries ?? []).flatMap((d) => [...d.log].reverse().map((a, i) => ({ d, a, key: `${d.id}-${d.log.length - i}` })));
  const state = cb.state ?? 'none';

  return (
    <section className="card callback-card" data-testid="callback" style={{ marginTop: '1rem' }}>
      <div className="page-head">
        <h3>{t('callbacks.title')}</h3>
        <button type="button" className="secondary small" data-testid="callback-resend" disabled={!final || busy} onClick={() => void resend()}>↻ {t('callbacks.resend')}</button>
      </div>
      {notice ? <div className="alert ok" role="status">{notice}</div> : null}
      {failure || error ? <div className="alert error" role="alert">{failure ?? error}</div> : null}
      <dl className="kv-list">
        <div className="kv"><dt>{t('callbacks.url')}</dt><dd><code>{cb.url}</code></dd></div>
        <div className="kv"><dt>{t('callbacks.state')}</dt><dd><span className={`badge ${CALLBACK_BADGES[state] ?? ''}`} data-testid="callback-state">{tOr(`cbstate.${state}`, state)}</span></dd></div>
        <div className="kv"><dt>{t('callbacks.attempts')}</dt><dd>{num(cb.attempts)}</dd></div>
        {cb.last_status !== null || cb.last_error ? <div className="kv"><dt>{t('callbacks.last')}</dt><dd>{[cb.last_status, errorName(cb.last_error)].filter((x) => x !== null).join(' · ')}</dd></div> : null}
        {cb.next_attempt_at ? <div className="kv"><dt>{t('callbacks.next')}</dt><dd>{dateTime(cb.next_attempt_at)}</dd></div> : null}
        {cb.delivered_at ? <div className="kv"><dt>{t('callbacks.delivered')}</dt><dd>{dateTime(cb.delivered_at)}</dd></div> : null}
      </dl>
      <h4>{t('callbacks.log')}</h4>
      {rows.length === 0 ? <p className="muted">{t('callbacks.no_attempts')}</p> : (
        <div className="table-card">
          <table className="table callback-log">
            <thead>
              <tr>
                <th>{t('callbacks.at')}</th>
                <th>{t('callbacks.event')}</th>
                <th className="num">{t('callbacks.status')}</th>
                <th className="num">{t('callbacks.latency')}</th>
                <th>{t('callbacks.error')}</th>
                <th className="hide-sm">{t('callbacks.node')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ d, a, key }) => (
                <tr key={key} data-testid="callback-attempt" data-delivery={d.id}>
                  <td>{dateTime(a.at)}</td>
                  <td>
                    {d.event}
                    {d.kind === 'resend' ? <span className="tag">{t('callbacks.resend_kind')}</span> : null}
                    <br />
                    <code className="muted" title={d.event_id}>{d.event_id.slice(0, 8)}</code>
                  </td>
                  <td className="num">{a.status ?? '—'}</td>
                  <td className="num">{num(a.latency_ms)}</td>
                  <td>{errorName(a.error) ?? ''}</td>
                  <td className="hide-sm">{a.node ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
