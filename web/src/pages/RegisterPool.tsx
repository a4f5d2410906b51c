import { useState, type ReactNode } from 'react';
import { ApiError, errorText, useClient, type Driver, type Group, type HealthLevel, type RegisterRemoval, type RegisterView } from '../api';
import { ConfigForm, formError } from '../ConfigForm';
import { Field, Modal } from '../components/Modal';
import { FORECAST_WHAT, HEALTH_REASONS, useI18n } from '../i18n';
import { DriverModelSelect, useDriverChoice } from './GroupForm';

/** What the last action did: worded at render (so it follows a language switch), or the server's refusal. */
type Notice =
  | { kind: 'ok'; key: 'pool.added' | 'pool.saved' | 'pool.removed' | 'pool.retired_notice' | 'pool.now_maintenance' | 'pool.now_active' | 'pool.fn_replaced'; id: number }
  | { kind: 'archive'; closed: ArchiveClose }
  | { kind: 'error'; text: string };
type Dialog =
  | { kind: 'add' }
  | { kind: 'edit'; register: RegisterView }
  | { kind: 'remove'; register: RegisterView }
  | { kind: 'replace'; register: RegisterView }
  | { kind: 'close_archive'; register: RegisterView };

/** The report on closing an FN (`close_archive` of POST …/registers/{id}/close-archive). */
interface ArchiveClose {
  register_id: number;
  fd_number: number;
  fiscal_sign: string;
  date_time: string;
  fn_serial: string | null;
}

const HEALTH_BADGE: Record<HealthLevel, string> = { healthy: 'ok', degraded: 'warn', unavailable: 'bad' };
const SERVICE_BADGE: Record<RegisterView['service'], string> = { active: 'ok', maintenance: 'warn', retired: '' };

/** The registers of a group that still serve it (retired ones have left the pool). */
export const poolOf = (g: Group): RegisterView[] => g.registers.filter((r) => r.service !== 'retired');

/** The device model a register's settings name (ATOL's device_model), else its driver's only one, else what it reported. */
function deviceModelOf(r: RegisterView, driver: Driver | undefined): string | null {
  const configured = r.config?.device_model;
  if (typeof configured === 'string') return configured;
  if (driver && driver.device_models.length === 1) return driver.device_models[0] ?? null;
  return r.registration?.model ?? null;
}

/** An error of a form (the API's, or a network failure as one). */
const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, [{ code: 'error', message: errorText(e) }]));

/**
 * «Кассы»: the registers of the group's pool — each one's service, health with its reasons, the
 * receipts it holds, its share of the last hour, the FN forecast and the node driving it — with
 * «На обслуживание» / «Вернуть в работу», «Удалить из пула» and «Добавить кассу».
 */
export function RegisterPool({ group: g, drivers, selected, onChanged }: {
  group: Group;
  drivers: Driver[] | null;
  /** The register the card's operations address (outlined when the pool has more than one). */
  selected: number | null;
  onChanged: () => void;
}) {
  const { t, dateTime } = useI18n();
  const client = useClient();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const multi = poolOf(g).length > 1;

  const setService = async (r: RegisterView, service: 'active' | 'maintenance') => {
    setBusy(true);
    setNotice(null);
    try {
      await client.call<Group>('PATCH', `/service_groups/${g.id}/registers/${r.id}`, { service });
      setNotice({ kind: 'ok', key: service === 'maintenance' ? 'pool.now_maintenance' : 'pool.now_active', id: r.id });
      onChanged();
    } catch (e) {
      setNotice({ kind: 'error', text: `${t('pool.register', { id: r.id })}: ${errorText(e)}` });
    } finally {
      setBusy(false);
    }
  };
  const done = (key: Extract<Notice, { kind: 'ok' }>['key'], id: number) => {
    setDialog(null);
    setNotice({ kind: 'ok', key, id });
    onChanged();
  };

  return (
    <section className="register-pool" data-testid="register-pool" aria-label={t('pool.title')}>
      <div className="pool-head">
        <h4>{t('pool.title')} <span className="count">({g.registers.length})</span></h4>
        <button type="button" className="secondary small" disabled={!drivers} onClick={() => setDialog({ kind: 'add' })}>+ {t('pool.add')}</button>
      </div>
      <p className="muted small-text pool-hint">{t('pool.hint')}</p>
      {notice ? (
        <div className={`alert small ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="pool-notice">
          {notice.kind === 'ok'
            ? t(notice.key, { id: notice.id })
            : notice.kind === 'archive'
              ? t('pool.archive_closed', { id: notice.closed.register_id, fd: notice.closed.fd_number, fp: notice.closed.fiscal_sign, t: dateTime(notice.closed.date_time) })
              : notice.text}
        </div>
      ) : null}
      <ul className="register-list">
        {/* Those that left the pool last. */}
        {[...poolOf(g), ...g.registers.filter((r) => r.service === 'retired')].map((r) => (
          <RegisterItem
            key={r.id}
            register={r}
            first={r.id === g.device?.id}
            selected={multi && r.id === selected}
            driver={drivers?.find((d) => d.model === r.model)}
            busy={busy}
            onService={(service) => void setService(r, service)}
            onEdit={() => setDialog({ kind: 'edit', register: r })}
            onRemove={() => setDialog({ kind: 'remove', register: r })}
            onReplaceFn={() => setDialog({ kind: 'replace', register: r })}
            onCloseArchive={() => setDialog({ kind: 'close_archive', register: r })}
          />
        ))}
      </ul>
      {dialog?.kind === 'add' && drivers ? (
        <RegisterForm group={g} drivers={drivers} register={null} onClose={() => setDialog(null)} onSaved={(id) => done('pool.added', id)} />
      ) : dialog?.kind === 'edit' && drivers ? (
        <RegisterForm group={g} drivers={drivers} register={dialog.register} onClose={() => setDialog(null)} onSaved={(id) => done('pool.saved', id)} />
      ) : dialog?.kind === 'remove' ? (
        <RemoveRegister group={g} register={dialog.register} onClose={() => setDialog(null)} onRemoved={(id, retired) => done(retired ? 'pool.retired_notice' : 'pool.removed', id)} />
      ) : dialog?.kind === 'replace' ? (
        <ReplaceFn group={g} register={dialog.register} onClose={() => setDialog(null)} onReplaced={(id) => done('pool.fn_replaced', id)} />
      ) : dialog?.kind === 'close_archive' ? (
        <CloseArchive
          group={g}
          register={dialog.register}
          onClose={() => setDialog(null)}
          onClosed={(closed) => {
            setDialog(null);
            setNotice({ kind: 'archive', closed });
            onChanged();
          }}
        />
      ) : null}
    </section>
  );
}

function RegisterItem({ register: r, first, selected, driver, busy, onService, onEdit, onRemove, onReplaceFn, onCloseArchive }: {
  register: RegisterView;
  first: boolean;
  selected: boolean;
  driver: Driver | undefined;
  busy: boolean;
  onService: (service: 'active' | 'maintenance') => void;
  onEdit: () => void;
  onRemove: () => void;
  onReplaceFn: () => void;
  onCloseArchive: () => void;
}) {
  const { t, pick, model, percent, dateTime } = useI18n();
  const retired = r.service === 'retired';
  const level = r.health?.level ?? null;
  const driverTitle = pick(driver?.title) || r.model;
  const deviceModel = deviceModelOf(r, driver);
  const modelText = deviceModel ? model(deviceModel) : driverTitle;
  const fnSerial = r.registration?.fn_serial ?? r.fn?.serial ?? null;
  const f = r.forecast;
  const warning = f?.warning ?? null;
  // Already reached when the worker judged it (the FN expired, the archive is full, the OFD block is on).
  const warningPast = warning?.at && r.health?.at ? Date.parse(warning.at) <= Date.parse(r.health.at) : false;
  const forecastRow = (what: 'expiry' | 'archive' | 'ofd_block', label: string, at: string | null | undefined) => {
    const hot = warning?.what === what;
    return fact(label, f ? (at ? dateTime(at) : t('pool.never')) : '—', hot ? (warningPast ? 'text-bad' : 'text-warn') : undefined, hot ? 'forecast-warning' : undefined);
  };
  const classes = ['register', `service-${r.service}`, selected ? 'selected' : '', retired ? 'retired' : ''].filter(Boolean).join(' ');

  return (
    <li className={classes} data-register-id={r.id} data-service={r.service} data-health={level ?? 'unknown'}>
      <div className="register-head">
        <span className="name">{t('pool.register', { id: r.id })}</span>
        {first ? <span className="tag" title={t('pool.first_hint')}>{t('pool.first')}</span> : null}
        <span className="muted small-text register-model" title={driverTitle}>{modelText}</span>
        <span className="spacer" />
        <span className={`badge ${SERVICE_BADGE[r.service]}`} data-testid="register-service">{t(`service.${r.service}`)}</span>
        {retired ? null : (
          <span className={`badge ${level ? HEALTH_BADGE[level] : ''}`} data-testid="register-health" title={r.health?.at ? dateTime(r.health.at) : undefined}>
            <span className="dot" />
            {level ? t(`health.${level}`) : t('pool.health_unknown')}
          </span>
        )}
      </div>
      {!retired && r.health && r.health.reasons.length > 0 ? (
        <div className="reasons" data-testid="register-reasons">
          {r.health.reasons.map((x) => (
            <span key={x.code} className={`badge ${level === 'unavailable' ? 'bad' : 'warn'}`} data-reason={x.code} title={x.message}>{pick(HEALTH_REASONS[x.code]) || x.code}</span>
          ))}
        </div>
      ) : null}
      {!retired && warning ? (
        <div className={`alert small ${warningPast ? 'error' : 'warn'}`} data-testid="register-forecast-warning">
          ⚠ {t('pool.warning', { what: pick(FORECAST_WHAT[warning.what]) || warning.what, t: dateTime(warning.at) })}
        </div>
      ) : null}
      <dl className="register-facts">
        {fact(t('device.rnm'), r.registration ? <code>{r.registration.registration_number}</code> : '—')}
        {fact(t('device.fn_serial'), fnSerial ? <code>{fnSerial}</code> : '—')}
        {fact(t('pool.queue'), r.queue, r.queue > 0 ? 'text-warn' : undefined)}
        {fact(t('pool.share'), t('pool.share_value', { p: percent(r.share), n: r.receipts_last_hour }))}
        {/* A retired register is no longer driven: no forecast or lease of it is current. */}
        {retired ? null : (
          <>
            {forecastRow('expiry', t('pool.fn_expires'), f?.fn_expires_at)}
            {forecastRow('archive', t('pool.archive_full'), f?.archive_full_at)}
            {forecastRow('ofd_block', t('pool.ofd_block'), f?.ofd_block_at)}
            {fact(t('pool.lease_owner'), r.lease_owner ? <code>{r.lease_owner}</code> : t('device.lease_free'))}
          </>
        )}
      </dl>
      {retired ? null : (
        <div className="register-actions">
          {r.service === 'active' ? (
            <button type="button" className="ghost small" disabled={busy} onClick={() => onService('maintenance')}>{t('pool.to_maintenance')}</button>
          ) : (
            <button type="button" className="success small" disabled={busy} onClick={() => onService('active')}>{t('pool.to_active')}</button>
          )}
          {first ? null : <button type="button" className="ghost small" disabled={busy || !driver} onClick={onEdit}>{t('pool.settings')}</button>}
          {/* The FN replacement flow: close the archive (drivers that can), then «ФН заменён»; both need maintenance. */}
          {r.service === 'maintenance' && driver?.capabilities.close_archive ? (
            <button type="button" className="ghost small danger" disabled={busy || r.fn?.phase === 'closed'} onClick={onCloseArchive} data-testid="close-archive">{t('pool.close_archive')}</button>
          ) : null}
          {r.service === 'maintenance' ? <button type="button" className="ghost small" disabled={busy} onClick={onReplaceFn}>{t('pool.replace_fn')}</button> : null}
          <button type="button" className="ghost small danger" disabled={busy} onClick={onRemove}>{t('pool.remove')}</button>
        </div>
      )}
    </li>
  );
}

function fact(label: string, value: ReactNode, cls?: string, testId?: string) {
  return (
    <div className="kv" data-testid={testId}>
      <dt>{label}</dt>
      <dd className={cls}>{value}</dd>
    </div>
  );
}

/** «Добавить кассу» (register null) or a register's driver settings: the model select and the driver's form, as the group form has them. */
function RegisterForm({ group, drivers, register, onClose, onSaved }: {
  group: Group;
  drivers: Driver[];
  register: RegisterView | null;
  onClose: () => void;
  onSaved: (registerId: number) => void;
}) {
  const { t, pick, lang } = useI18n();
  const client = useClient();
  const stored = register ? { driver: register.model, deviceModel: deviceModelOf(register, drivers.find((d) => d.model === register.model)), config: register.config ?? {} } : null;
  const { choice, chooseModel, driver, driverModel, config, setConfig } = useDriverChoice(drivers, stored);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      if (register) {
        await client.call<Group>('PATCH', `/service_groups/${group.id}/registers/${register.id}`, { driver: driverModel, config });
        onSaved(register.id);
      } else {
        const before = new Set(group.registers.map((r) => r.id));
        const view = await client.call<Group>('POST', `/service_groups/${group.id}/registers`, { driver: driverModel, config });
        const added = view.registers.find((r) => !before.has(r.id));
        onSaved(added?.id ?? 0);
      }
    } catch (e) {
      setErr(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={register ? t('pool.edit_title', { id: register.id }) : t('pool.add_title', { name: group.name })}
      onClose={onClose}
      onSubmit={save}
      busy={busy || !driver}
      wide
      error={formError(err)}
    >
      <div className="form-cols">
        <Field label={t('groups.model')}>
          <DriverModelSelect drivers={drivers} value={choice} onChange={chooseModel} />
        </Field>
      </div>
      {driver ? (
        <fieldset>
          <legend>{t('groups.config')} — {pick(driver.title)}</legend>
          <ConfigForm key={`${driver.model}-${lang}`} driver={driver.model} schema={driver.config_schema} value={config} onChange={setConfig} errors={(f) => err?.field(f)} editing={!!register && driverModel === register.model} />
        </fieldset>
      ) : null}
    </Modal>
  );
}

/** «Удалить из пула»: confirmed first; the server's refusal (not in maintenance, receipts on it, the last register) stays in the dialog. */
function RemoveRegister({ group, register, onClose, onRemoved }: {
  group: Group;
  register: RegisterView;
  onClose: () => void;
  onRemoved: (registerId: number, retired: boolean) => void;
}) {
  const { t } = useI18n();
  const client = useClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await client.call<RegisterRemoval>('DELETE', `/service_groups/${group.id}/registers/${register.id}`);
      onRemoved(res.removed_register.id, res.removed_register.retired);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('pool.remove_title', { id: register.id })} onClose={onClose} onSubmit={remove} submitLabel={t('pool.remove')} busy={busy} danger error={error}>
      <p className="confirm-text">{t('pool.remove_confirm', { name: group.name })}</p>
    </Modal>
  );
}


/** «ФН заменён»: the register, drained with its shift closed, is retired and added again as a new register that reads the new FN. */
function ReplaceFn({ group, register, onClose, onReplaced }: {
  group: Group;
  register: RegisterView;
  onClose: () => void;
  onReplaced: (registerId: number) => void;
}) {
  const { t } = useI18n();
  const client = useClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const replace = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await client.call<Group & { replacement_register: number }>('POST', `/service_groups/${group.id}/registers/${register.id}/replace-fn`);
      onReplaced(res.replacement_register);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('pool.replace_fn_title', { id: register.id })} onClose={onClose} onSubmit={replace} submitLabel={t('pool.replace_fn')} busy={busy} error={error}>
      <p className="confirm-text">{t('pool.replace_fn_confirm')}</p>
    </Modal>
  );
}

/** «Закрыть архив ФН»: confirmed first; the register's worker makes the report on closing the FN; a refusal stays in the dialog. */
function CloseArchive({ group, register, onClose, onClosed }: {
  group: Group;
  register: RegisterView;
  onClose: () => void;
  onClosed: (closed: ArchiveClose) => void;
}) {
  const { t } = useI18n();
  const client = useClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await client.call<Group & { close_archive: ArchiveClose }>('POST', `/service_groups/${group.id}/registers/${register.id}/close-archive`);
      onClosed(res.close_archive);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('pool.close_archive_title', { id: register.id })} onClose={onClose} onSubmit={close} submitLabel={t('pool.close_archive')} busy={busy} danger error={error}>
      <p className="confirm-text">{t('pool.close_archive_confirm')}</p>
    </Modal>
  );
}
