import { useState } from 'react';
import { errorText, useClient, type Driver, type Group, type JobOutcome, type User } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { AccessModal } from './AccessModal';
import { DeviceDetails } from './DeviceDetails';
import { GroupForm } from './GroupForm';
import { poolOf } from './RegisterPool';

type Dialog = { kind: 'new' } | { kind: 'edit'; group: Group } | { kind: 'access'; group: Group };

export function Groups() {
  const { t } = useI18n();
  const groups = useApi<Group[]>('/service_groups', 5000);
  const drivers = useApi<Driver[]>('/drivers');
  const users = useApi<User[]>('/users');
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const done = () => {
    setDialog(null);
    groups.reload();
  };

  return (
    <section>
      <div className="page-head">
        <h1>{t('groups.title')}</h1>
        <button type="button" className="primary" onClick={() => setDialog({ kind: 'new' })} disabled={!drivers.data}>{t('common.add')}</button>
      </div>
      {notice ? <div className={`alert ${notice.kind}`} role="status">{notice.text}</div> : null}
      {groups.error ? <div className="alert error">{groups.error}</div> : null}
      {!groups.data ? <p className="muted">{t('common.loading')}</p> : groups.data.length === 0 ? <p className="empty">{t('groups.empty')}</p> : (
        <div className="group-list">
          {groups.data.map((g) => (
            <GroupCard key={g.id} group={g} drivers={drivers.data} onDialog={setDialog} onChanged={groups.reload} onNotice={setNotice} />
          ))}
        </div>
      )}
      {dialog?.kind === 'access' && users.data ? (
        <AccessModal group={dialog.group} users={users.data} onClose={() => setDialog(null)} onSaved={done} />
      ) : dialog && dialog.kind !== 'access' && drivers.data ? (
        <GroupForm drivers={drivers.data} group={dialog.kind === 'edit' ? dialog.group : null} onClose={() => setDialog(null)} onSaved={done} />
      ) : null}
    </section>
  );
}

export function StateBadge({ state, reason }: { state: Group['state']; reason?: string | null }) {
  const { t } = useI18n();
  const cls = state === 'running' ? 'ok' : state === 'error' ? 'bad' : 'muted';
  return (
    <span className={`badge ${cls}`} title={reason ?? undefined}>
      <span className="dot" />
      {t(`state.${state}`)}
    </span>
  );
}

function GroupCard({ group: g, drivers, onDialog, onChanged, onNotice }: {
  group: Group;
  drivers: Driver[] | null;
  onDialog: (d: Dialog) => void;
  onChanged: () => void;
  onNotice: (n: { kind: 'ok' | 'error'; text: string } | null) => void;
}) {
  const { t, pick, dateTime, model } = useI18n();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  // The register the shift operations, the device status and the fault panel address (pools of more than one).
  const [registerId, setRegisterId] = useState<number | null>(null);
  const client = useClient();
  const pool = poolOf(g);
  const multi = pool.length > 1;
  const register = pool.find((r) => r.id === registerId) ?? pool.find((r) => r.id === g.device?.id) ?? pool[0] ?? null;
  const target = multi && register ? register.id : null;
  const who = target !== null ? `${g.name}, ${t('pool.register', { id: target })}` : g.name;
  const run = async <R,>(fn: () => Promise<R>, ok?: (r: R) => string, prefix = g.name) => {
    setBusy(true);
    onNotice(null);
    try {
      const r = await fn();
      if (ok) onNotice({ kind: 'ok', text: ok(r) });
      onChanged();
    } catch (e) {
      onNotice({ kind: 'error', text: `${prefix}: ${errorText(e)}` });
    } finally {
      setBusy(false);
    }
  };
  const job = (path: string, label: string) =>
    run(() => client.call<JobOutcome>('POST', `/service_groups/${g.id}/${path}${target !== null ? `?register_id=${target}` : ''}`), (res) => {
      if (res.state === 'success') return `${who}: ${t('groups.job_done', { kind: label })}`;
      if (res.state === 'failed') return `${who}: ${t('groups.job_failed', { message: res.error?.message ?? '' })}`;
      return `${who}: ${t('groups.job_pending')}`;
    }, who);
  const remove = () => {
    if (confirm(t('common.confirm_delete', { name: g.name }))) void run(() => client.call('DELETE', `/service_groups/${g.id}`));
  };
  const shift = (target !== null ? register?.shift : g.device?.shift) ?? null;
  const shiftText = !shift ? t('shift.unknown')
    : shift.state === 'open' ? `${t('shift.open', { n: shift.number })}${shift.expires_at ? ` · ${t('shift.until', { t: dateTime(shift.expires_at) })}` : ''}`
    : shift.state === 'expired' ? t('shift.expired', { n: shift.number })
    : t('shift.closed');
  // The FN's marking work (null: the register has no marking, or its state was not read).
  const marking = g.device?.marking ?? null;
  const markingText = !marking ? null
    : marking.unconfirmed_notifications === 0 ? t('marking.all_confirmed')
    : `${t('marking.unconfirmed', { n: marking.unconfirmed_notifications })}${marking.oldest_unconfirmed_at ? ` (${t('marking.oldest', { t: dateTime(marking.oldest_unconfirmed_at) })})` : ''}`;

  return (
    <article className={`card group-card state-${g.state}`} data-group={g.name} data-group-id={g.id}>
      <header className="group-head">
        <div>
          <h2>{g.name}</h2>
          <div className="muted small-text">#{g.id} · {pick(g.driver_title ?? undefined) || g.driver}</div>
        </div>
        <StateBadge state={g.state} reason={g.state_reason} />
      </header>
      {g.state === 'error' && g.state_reason ? <div className="alert error small">{g.state_reason}</div> : null}
      {g.orphan_documents > 0 ? (
        <div className="alert error small" data-testid="group-orphans">
          ⚠ <Link to={`/orphans?group=${g.id}`}>{t('orphans.in_group', { n: g.orphan_documents })}</Link>
        </div>
      ) : null}
      {marking?.blocked ? (
        <div className="alert error small" role="alert" data-testid="group-marking-blocked">⚠ {t('marking.blocked')}</div>
      ) : null}
      <dl className="facts">
        <div><dt>{t('groups.model')}</dt><dd>{model(g.device_model_name)}</dd></div>
        <div><dt>{t('groups.shift_state')}</dt><dd className={shift?.state === 'expired' ? 'text-bad' : ''}>{shiftText}</dd></div>
        <div><dt>{t('groups.queue')}</dt><dd className={g.queue_length > 0 ? 'text-warn' : ''}>{g.queue_length}</dd></div>
        <div><dt>{t('groups.last_receipt')}</dt><dd>{dateTime(g.last_receipt_at)}</dd></div>
        {marking && markingText ? (
          <div className="wide" data-testid="group-marking">
            <dt>{t('groups.marking')}</dt>
            <dd className={marking.blocked ? 'text-bad' : marking.unconfirmed_notifications > 0 ? 'text-warn' : ''}>{markingText}</dd>
          </div>
        ) : null}
        {g.registers.length > 1 ? (
          <div className="wide" data-testid="group-registers">
            <dt>{t('pool.title')}</dt>
            <dd>
              {[...pool, ...g.registers.filter((r) => r.service === 'retired')].map((r) => {
                const cls = r.service === 'retired' ? '' : r.service === 'maintenance' ? 'warn' : r.health?.level === 'healthy' ? 'ok' : r.health?.level === 'unavailable' ? 'bad' : r.health ? 'warn' : '';
                const state = r.service !== 'active' ? t(`service.${r.service}`) : r.health ? t(`health.${r.health.level}`) : t('pool.health_unknown');
                return <span key={r.id} className={`badge ${cls}`} data-register-id={r.id}>{t('pool.register', { id: r.id })} · {state}</span>;
              })}
            </dd>
          </div>
        ) : null}
        {g.device && g.device.warnings.length > 0 ? (
          <div className="wide"><dt>{t('device.warnings')}</dt><dd>{g.device.warnings.map((w) => <span key={w} className="badge warn">{w}</span>)}</dd></div>
        ) : null}
      </dl>
      <div className="group-actions">
        {g.running ? (
          <button type="button" className="danger-solid" disabled={busy} onClick={() => void run(() => client.call('POST', `/service_groups/${g.id}/stop`))}>■ {t('groups.stop')}</button>
        ) : (
          <button type="button" className="success" disabled={busy || !g.enabled} onClick={() => void run(() => client.call('POST', `/service_groups/${g.id}/start`))}>▶ {t('groups.start')}</button>
        )}
        <button type="button" className="secondary" onClick={() => onDialog({ kind: 'access', group: g })}>{t('groups.access')}</button>
        <Link to={`/groups/${g.id}/receipts`} className="button secondary">{t('groups.receipts')}</Link>
        <Link to={`/groups/${g.id}/documents`} className="button secondary">{t('groups.documents')}</Link>
        <button type="button" className="ghost" onClick={() => onDialog({ kind: 'edit', group: g })}>{t('common.edit')}</button>
      </div>
      <div className="group-ops">
        {multi ? (
          <label className="register-select">
            {t('pool.choose')}
            <select name="register_id" value={register?.id ?? ''} onChange={(e) => setRegisterId(Number(e.target.value))}>
              {pool.map((r) => <option key={r.id} value={r.id}>{t('pool.register', { id: r.id })}{r.service === 'maintenance' ? ` (${t('service.maintenance')})` : ''}</option>)}
            </select>
          </label>
        ) : null}
        <button type="button" className="ghost small" disabled={busy || !g.running} onClick={() => void job('shift/open', t('groups.open_shift'))}>{t('groups.open_shift')}</button>
        <button type="button" className="ghost small" disabled={busy || !g.running} onClick={() => void job('shift/close', t('groups.close_shift'))}>{t('groups.close_shift')}</button>
        <button type="button" className="ghost small" disabled={busy || !g.running} onClick={() => void job('reports/x', t('groups.x_report'))}>{t('groups.x_report')}</button>
      </div>
      <div className="group-foot">
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? `▾ ${t('groups.hide_details')}` : `▸ ${t('groups.details')}`}</button>
        <span className="spacer" />
        <button type="button" className="ghost small" disabled={busy} onClick={() => void run(() => client.call('PATCH', `/service_groups/${g.id}`, { enabled: !g.enabled }))}>
          {g.enabled ? t('groups.disable') : t('groups.enable')}
        </button>
        <button type="button" className="ghost small danger" disabled={busy} onClick={remove}>{t('common.delete')}</button>
      </div>
      {open ? <DeviceDetails group={g} drivers={drivers} registerId={register?.id ?? null} onChanged={onChanged} /> : null}
    </article>
  );
}
