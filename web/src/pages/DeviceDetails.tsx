import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { errorText, useClient, type ActiveFaults, type DeviceView, type Driver, type FaultKind, type Group } from '../api';
import { FAULT_KINDS, TAX_SYSTEMS, taxSystemBits, useI18n } from '../i18n';
import { RegisterPool, poolOf } from './RegisterPool';

/**
 * «Устройство» of a group's card: the register pool («Кассы»), then the status of the register the
 * card's operations address (`registerId`; the group's first register by default) and the fault
 * simulation of a virtual register.
 */
export function DeviceDetails({ group, drivers, registerId, onChanged }: { group: Group; drivers: Driver[] | null; registerId: number | null; onChanged: () => void }) {
  const { t } = useI18n();
  const multi = poolOf(group).length > 1;
  const device = (registerId !== null ? group.registers.find((r) => r.id === registerId) : undefined) ?? group.device;
  // One register: the API's defaults address it (no `register_id`), as before pools.
  const target = multi && device ? device.id : null;
  return (
    <>
      <RegisterPool group={group} drivers={drivers} selected={device?.id ?? null} onChanged={onChanged} />
      <DeviceStatus device={device} title={target !== null ? t('pool.status_of', { id: target }) : null} />
      {group.faults_available ? <FaultPanel key={target ?? 'first'} groupId={group.id} registerId={target} /> : null}
    </>
  );
}

function DeviceStatus({ device: d, title }: { device: DeviceView | null; title: string | null }) {
  const { t, dateTime, pick, percent, model } = useI18n();
  const heading = title ? <h4 className="span" data-testid="device-status-of">{title}</h4> : null;
  const row = (label: string, value: ReactNode) => (
    <div className="kv">
      <dt>{label}</dt>
      <dd>{value ?? '—'}</dd>
    </div>
  );
  // The scale-out lease: which node drives the device, under which fencing epoch, until when.
  const lease = d && d.lease_owner !== undefined ? (
    <dl className="kv-list" data-testid="device-lease">
      <h4>{t('device.lease')}</h4>
      {row(t('device.lease_owner'), d.lease_owner ? <code>{d.lease_owner}</code> : t('device.lease_free'))}
      {row(t('device.lease_epoch'), d.lease_epoch ?? '—')}
      {row(t('device.lease_until'), dateTime(d.lease_until))}
    </dl>
  ) : null;
  if (!d || (!d.registration && !d.fn)) {
    return (
      <>
        {title ? <h4 className="status-alone" data-testid="device-status-of">{title}</h4> : null}
        <p className="muted">{t('device.no_status')}</p>
        {lease ? <div className="device-details">{lease}</div> : null}
      </>
    );
  }
  const r = d.registration;
  return (
    <div className="device-details">
      {heading}
      {r ? (
        <dl className="kv-list">
          <h4>{t('device.registration')}</h4>
          {row(t('device.rnm'), <code>{r.registration_number}</code>)}
          {row(t('device.model'), model(r.model))}
          {row(t('device.serial'), <code>{r.registrator_serial}</code>)}
          {row(t('device.company'), r.company_name)}
          {row(t('device.inn'), <code>{r.company_inn}</code>)}
          {row(t('device.address'), r.operations_address)}
          {row(t('device.place'), r.operations_place)}
          {row(t('device.ofd'), `${r.ofd_name} (${r.ofd_inn})`)}
          {row(t('device.tax_systems'), taxSystemBits(r.tax_systems).map((bit) => pick(TAX_SYSTEMS[bit])).join(', ') || '—')}
        </dl>
      ) : null}
      {d.fn ? (
        <dl className="kv-list">
          <h4>{t('device.fn')}</h4>
          {row(t('device.fn_serial'), <code>{d.fn.serial}</code>)}
          {row(t('device.ffd'), d.fn.ffd_version === '120' ? '1.2' : d.fn.ffd_version === '105' ? '1.05' : d.fn.ffd_version)}
          {row(t('device.fn_phase'), d.fn.phase)}
          {row(t('device.fn_expires'), dateTime(d.fn.expires_at))}
          {row(t('device.fn_memory'), percent(d.fn.memory_used))}
          {row(t('device.last_fd'), d.last_fd_number)}
          {row(t('device.ofd_queue'), d.ofd ? `${t('device.ofd_unsent', { n: d.ofd.unsent_count })}${d.ofd.oldest_unsent_at ? `, ${t('device.ofd_oldest', { t: dateTime(d.ofd.oldest_unsent_at) })}` : ''}` : '—')}
          {row(t('device.paper'), d.paper_present === null ? '—' : d.paper_present ? t('common.yes') : t('common.no'))}
          {row(t('device.status_at'), dateTime(d.status_at))}
        </dl>
      ) : null}
      {lease}
      {d.warnings.length > 0 ? (
        <div className="warnings">
          <h4>{t('device.warnings')}</h4>
          <ul>{d.warnings.map((w) => <li key={w} className="badge warn">{w}</li>)}</ul>
        </div>
      ) : null}
    </div>
  );
}

const KINDS: FaultKind[] = [
  'offline', 'lose_answer_after_close', 'disconnect_before_close', 'paper_out', 'slow', 'fn_full', 'fn_expired',
  'marking_unreachable', 'marking_invalid', 'marking_wrong_status', 'marking_sale_stopped', 'marking_slow',
];
const DELAYED: ReadonlySet<FaultKind> = new Set<FaultKind>(['slow', 'marking_slow']);

/** «Имитация неисправностей (для тестов)»: fault injection on a virtual register driven by this node. */
function FaultPanel({ groupId, registerId }: { groupId: number; registerId: number | null }) {
  const { t, pick } = useI18n();
  const client = useClient();
  const [active, setActive] = useState<ActiveFaults['active'] | null>(null);
  const [kind, setKind] = useState<FaultKind>('offline');
  const [delay, setDelay] = useState('2000');
  const [times, setTimes] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const base = `/service_groups/${groupId}/device/faults${registerId !== null ? `?register_id=${registerId}` : ''}`;

  useEffect(() => {
    let live = true;
    client.call<ActiveFaults>('GET', base).then(
      (r) => {
        if (live) setActive(r.active);
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [client, base]);

  const run = async (call: () => Promise<ActiveFaults>) => {
    setBusy(true);
    setError(null);
    try {
      setActive((await call()).active);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const inject = (e: FormEvent) => {
    e.preventDefault();
    const body = { kind, ...(DELAYED.has(kind) ? { delay_ms: Number(delay) } : {}), ...(times ? { times: Number(times) } : {}) };
    void run(() => client.call<ActiveFaults>('POST', base, body));
  };

  return (
    <form className="fault-panel" onSubmit={inject} data-testid="fault-panel">
      <h4>⚠ {t('faults.title')}</h4>
      <p className="muted small-text">{t('faults.hint')}</p>
      {error ? <div className="alert error small" role="alert">{error}</div> : null}
      <div className="fault-inputs">
        <label className="field">
          <span className="label">{t('faults.kind')}</span>
          <select name="fault_kind" value={kind} onChange={(e) => setKind(e.target.value as FaultKind)}>
            {KINDS.map((k) => <option key={k} value={k}>{pick(FAULT_KINDS[k])}</option>)}
          </select>
        </label>
        {DELAYED.has(kind) ? (
          <label className="field narrow">
            <span className="label">{t('faults.delay')}</span>
            <input name="fault_delay" type="number" min={1} max={60000} step={1} value={delay} onChange={(e) => setDelay(e.target.value)} required />
          </label>
        ) : null}
        <label className="field narrow">
          <span className="label">{t('faults.times')}</span>
          <input name="fault_times" type="number" min={1} max={1000} step={1} value={times} placeholder={t('faults.times_hint')} onChange={(e) => setTimes(e.target.value)} />
        </label>
        <div className="fault-buttons">
          <button type="submit" className="danger-solid small" disabled={busy}>{t('faults.inject')}</button>
          <button type="button" className="ghost small" disabled={busy || !active?.length} onClick={() => void run(() => client.call<ActiveFaults>('DELETE', base))}>{t('faults.clear')}</button>
        </div>
      </div>
      <div className="fault-active" data-testid="fault-active">
        <span className="muted small-text">{t('faults.active')}:</span>{' '}
        {!active ? '…' : active.length === 0 ? <span className="muted small-text">{t('faults.none')}</span> : active.map((f, i) => (
          <span key={i} className="badge bad" data-fault={f.kind}>
            {pick(FAULT_KINDS[f.kind])}{f.delay_ms !== null ? ` ${t('faults.delay_value', { n: f.delay_ms })}` : ''} · {f.remaining === null ? t('faults.until_cleared') : t('faults.remaining', { n: f.remaining })}
          </span>
        ))}
      </div>
    </form>
  );
}
