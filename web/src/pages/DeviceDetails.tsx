import type { ReactNode } from 'react';
import type { Group } from '../api';
import { useI18n } from '../i18n';

export function DeviceDetails({ group }: { group: Group }) {
  const { t, dateTime } = useI18n();
  const d = group.device;
  if (!d || (!d.registration && !d.fn)) return <p className="muted">{t('device.no_status')}</p>;
  const r = d.registration;
  const row = (label: string, value: ReactNode) => (
    <div className="kv">
      <dt>{label}</dt>
      <dd>{value ?? '—'}</dd>
    </div>
  );
  return (
    <div className="device-details">
      {r ? (
        <dl className="kv-list">
          <h4>{t('device.registration')}</h4>
          {row(t('device.rnm'), <code>{r.registration_number}</code>)}
          {row(t('device.serial'), <code>{r.registrator_serial}</code>)}
          {row(t('device.company'), r.company_name)}
          {row(t('device.inn'), <code>{r.company_inn}</code>)}
          {row(t('device.address'), r.operations_address)}
          {row(t('device.place'), r.operations_place)}
          {row(t('device.ofd'), `${r.ofd_name} (${r.ofd_inn})`)}
        </dl>
      ) : null}
      {d.fn ? (
        <dl className="kv-list">
          <h4>{t('device.fn')}</h4>
          {row(t('device.fn_serial'), <code>{d.fn.serial}</code>)}
          {row(t('device.ffd'), d.fn.ffd_version === '120' ? '1.2' : d.fn.ffd_version === '105' ? '1.05' : d.fn.ffd_version)}
          {row(t('device.fn_phase'), d.fn.phase)}
          {row(t('device.fn_expires'), dateTime(d.fn.expires_at))}
          {row(t('device.fn_memory'), d.fn.memory_used === null ? '—' : `${(d.fn.memory_used * 100).toFixed(1)} %`)}
          {row(t('device.last_fd'), d.last_fd_number)}
          {row(t('device.ofd_queue'), d.ofd ? `${t('device.ofd_unsent', { n: d.ofd.unsent_count })}${d.ofd.oldest_unsent_at ? `, ${t('device.ofd_oldest', { t: dateTime(d.ofd.oldest_unsent_at) })}` : ''}` : '—')}
          {row(t('device.paper'), d.paper_present === null ? '—' : d.paper_present ? t('common.yes') : t('common.no'))}
          {row(t('device.status_at'), dateTime(d.status_at))}
        </dl>
      ) : null}
      {d.warnings.length > 0 ? (
        <div className="warnings">
          <h4>{t('device.warnings')}</h4>
          <ul>{d.warnings.map((w) => <li key={w} className="badge warn">{w}</li>)}</ul>
        </div>
      ) : null}
    </div>
  );
}
