import { useEffect, useState } from 'react';
import { errorText, useClient, type Group, type Ok } from '../api';
import { Crumbs } from '../components/Crumbs';
import { GroupTabs } from '../components/GroupTabs';
import { Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { FORECAST_WHAT, useI18n } from '../i18n';
import { CALLBACK_BADGES } from './ReceiptDetail';

type EventLog = Ok<'/admin/api/service_groups/{id}/events'>;
type Delivery = EventLog['deliveries'][number];

/** What a register.fn_warning body says (its fields as docs/api.md "Register events" fixes them), read defensively. */
function warningOf(payload: Record<string, unknown>): { registerId: number | null; fnSerial: string | null; what: string | null; at: string | null; daysLeft: number | null } {
  const register = (payload.register ?? {}) as { id?: unknown; fn_serial?: unknown };
  const warning = (payload.warning ?? {}) as { what?: unknown; at?: unknown; days_left?: unknown };
  return {
    registerId: typeof register.id === 'number' ? register.id : null,
    fnSerial: typeof register.fn_serial === 'string' ? register.fn_serial : null,
    what: typeof warning.what === 'string' ? warning.what : null,
    at: typeof warning.at === 'string' ? warning.at : null,
    daysLeft: typeof warning.days_left === 'number' ? warning.days_left : null,
  };
}

/**
 * «Уведомления о кассах»: the register events (FN forecast warnings) the group sent to its events
 * URL, newest first — what each said, how its delivery stands, every attempt with the node that made
 * it — and «Отправить снова» (a new event id, audited). Followed in place while one is being sent.
 */
export function Events({ groupId }: { groupId: number }) {
  const { t, tOr, pick, dateTime, num } = useI18n();
  const client = useClient();
  const group = useApi<Group>(`/service_groups/${groupId}`);
  const { data: log, error, reload } = useApi<EventLog>(`/service_groups/${groupId}/events`);
  const [open, setOpen] = useState<number | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const sending = log?.deliveries.some((d) => d.state === 'pending') ?? false;
  useEffect(() => {
    if (!sending) return;
    const id = setTimeout(reload, 1500);
    return () => clearTimeout(id);
  }, [sending, log, reload]);

  const resend = async (d: Delivery) => {
    setBusy(d.id);
    setFailure(null);
    setNotice(null);
    try {
      await client.call('POST', `/service_groups/${groupId}/events/${d.id}/resend`);
      setNotice(t('events.resent'));
      reload();
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const errorName = (code: string | null) => (code ? tOr(`cberror.${code}`, code) : null);
  const subject = (d: Delivery) => {
    const w = warningOf(d.payload);
    const what = w.what !== null ? pick(FORECAST_WHAT[w.what]) || w.what : d.event;
    return { ...w, what };
  };
  const shown = log?.deliveries.find((d) => d.id === open) ?? null;

  return (
    <section>
      <Crumbs items={[{ to: '/groups', label: t('groups.title') }]} />
      <div className="page-head">
        <h1>{t('events.title', { name: group.data?.name ?? `#${groupId}` })}</h1>
        <button type="button" className="ghost" onClick={reload}>{t('common.refresh')}</button>
      </div>
      <GroupTabs groupId={groupId} active="events" />
      {log ? (
        log.events_url !== null ? (
          <p className="muted small-text" data-testid="events-url">{t('events.url')} <code>{log.events_url}</code></p>
        ) : (
          <div className="alert info" data-testid="events-url">{t('events.no_url')}</div>
        )
      ) : null}
      <p className="muted small-text">{t('events.hint')}</p>
      {notice ? <div className="alert ok" role="status">{notice}</div> : null}
      {failure || error ? <div className="alert error" role="alert">{failure ?? error}</div> : null}
      {!log ? (error ? null : <p className="muted">{t('common.loading')}</p>) : log.deliveries.length === 0 ? (
        <p className="empty">{t('events.empty')}</p>
      ) : (
        <div className="card table-card">
          <table className="table events-table">
            <thead>
              <tr>
                <th>{t('events.created')}</th>
                <th>{t('events.register')}</th>
                <th>{t('events.what')}</th>
                <th>{t('callbacks.state')}</th>
                <th className="num">{t('callbacks.attempts')}</th>
                <th className="hide-sm">{t('callbacks.last')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {log.deliveries.map((d) => {
                const s = subject(d);
                return (
                  <tr key={d.id} className="clickable" data-testid="event-delivery" data-delivery={d.id} tabIndex={0} onClick={() => setOpen(d.id)} onKeyDown={(e) => e.key === 'Enter' && setOpen(d.id)}>
                    <td>
                      {dateTime(d.created_at)}
                      {d.kind === 'resend' ? <span className="tag">{t('callbacks.resend_kind')}</span> : null}
                    </td>
                    <td>
                      {s.registerId !== null ? t('pool.register', { id: s.registerId }) : '—'}
                      {s.fnSerial ? <><br /><span className="muted small-text">{t('events.fn', { serial: s.fnSerial })}</span></> : null}
                    </td>
                    <td>
                      {s.what}
                      {s.at ? <><br /><span className="muted small-text">{dateTime(s.at)}{s.daysLeft !== null ? ` · ${t('events.days_left', { n: s.daysLeft })}` : ''}</span></> : null}
                    </td>
                    <td><span className={`badge ${CALLBACK_BADGES[d.state] ?? ''}`} data-testid="event-state">{tOr(`cbstate.${d.state}`, d.state)}</span></td>
                    <td className="num">{num(d.attempts)}</td>
                    <td className="hide-sm">{[d.last_status, errorName(d.last_error)].filter((x) => x !== null).join(' · ')}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="secondary small"
                        data-testid="event-resend"
                        disabled={log.events_url === null || busy !== null}
                        title={log.events_url === null ? t('events.no_url') : undefined}
                        onClick={(e) => {
                          e.stopPropagation();
                          void resend(d);
                        }}
                      >
                        ↻ {t('events.resend')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {shown ? (
        <Modal title={t('events.delivery_title', { id: shown.id })} onClose={() => setOpen(null)} wide>
          <dl className="kv-list">
            <div className="kv"><dt>{t('callbacks.url')}</dt><dd><code>{shown.url}</code></dd></div>
            <div className="kv"><dt>{t('callbacks.event')}</dt><dd>{shown.event} <code className="muted">{shown.event_id}</code></dd></div>
            <div className="kv"><dt>{t('callbacks.state')}</dt><dd>{tOr(`cbstate.${shown.state}`, shown.state)}</dd></div>
            {shown.next_attempt_at ? <div className="kv"><dt>{t('callbacks.next')}</dt><dd>{dateTime(shown.next_attempt_at)}</dd></div> : null}
            {shown.delivered_at ? <div className="kv"><dt>{t('callbacks.delivered')}</dt><dd>{dateTime(shown.delivered_at)}</dd></div> : null}
          </dl>
          <h4>{t('callbacks.log')}</h4>
          {shown.log.length === 0 ? <p className="muted">{t('callbacks.no_attempts')}</p> : (
            <table className="table callback-log">
              <thead>
                <tr>
                  <th>{t('callbacks.at')}</th>
                  <th className="num">{t('callbacks.status')}</th>
                  <th className="num">{t('callbacks.latency')}</th>
                  <th>{t('callbacks.error')}</th>
                  <th>{t('callbacks.node')}</th>
                </tr>
              </thead>
              <tbody>
                {[...shown.log].reverse().map((a, i) => (
                  <tr key={shown.log.length - i} data-testid="event-attempt">
                    <td>{dateTime(a.at)}</td>
                    <td className="num">{a.status ?? '—'}</td>
                    <td className="num">{num(a.latency_ms)}</td>
                    <td>{errorName(a.error) ?? ''}</td>
                    <td>{a.node ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h4>{t('events.body')}</h4>
          <pre className="json" data-testid="event-json">{JSON.stringify(shown.payload, null, 2)}</pre>
        </Modal>
      ) : null}
    </section>
  );
}
