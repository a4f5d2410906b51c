import { useState } from 'react';
import { ApiError, errorText, useClient, type Driver, type Group, type MarkingPolicy, type PoolPolicy } from '../api';
import { ConfigForm, choicesOf, formError } from '../ConfigForm';
import { Field, Modal } from '../components/Modal';
import { MARKING_POLICIES, POOL_POLICY_FIELDS, TAX_SYSTEMS, VAT_RATES, useI18n } from '../i18n';
import { DEFAULT_POOL_POLICY } from '../pool-policy';

const POLICIES = Object.keys(MARKING_POLICIES) as MarkingPolicy[];
const isPolicy = (v: string): v is MarkingPolicy => (POLICIES as string[]).includes(v);
/** The group's ATOL Online group code ('' when none); read by name, as the group view may predate the field. */
const groupCodeOf = (group: Group | null): string => {
  const s = group?.settings;
  return s && 'group_code' in s && typeof s.group_code === 'string' ? s.group_code : '';
};

/** The group's register events URL ('' when none); read by name, like the group code. */
const eventsUrlOf = (group: Group | null): string => {
  const s = group?.settings;
  return s && 'events_url' in s && typeof s.events_url === 'string' ? s.events_url : '';
};

/** The chosen device model also fills a config property listing it (e.g. ATOL's device_model). */
function applyModel(driver: Driver, model: string, config: Record<string, unknown>): Record<string, unknown> {
  const next = { ...config };
  for (const [k, s] of Object.entries(driver.config_schema.properties ?? {})) {
    if (choicesOf(s)?.includes(model)) next[k] = model;
  }
  return next;
}

/**
 * The «Модель ККТ» choice (driver and device model) and the driver's settings: a new choice of
 * driver starts from its defaults, and the device model fills the config property listing it.
 * `initial`: a stored register (its driver, device model name and settings), or null for a new one.
 */
export function useDriverChoice(drivers: Driver[], initial: { driver: string | null; deviceModel: string | null; config: Record<string, unknown> } | null) {
  const [choice, setChoice] = useState(initial ? `${initial.driver ?? ''}|${initial.deviceModel ?? ''}` : '');
  const [driverModel, setDriverModel] = useState(initial?.driver ?? '');
  const [config, setConfig] = useState<Record<string, unknown>>(initial?.config ?? {});
  const driver = drivers.find((d) => d.model === driverModel);
  const chooseModel = (value: string) => {
    setChoice(value);
    const [model = '', deviceModel = ''] = value.split('|');
    const d = drivers.find((x) => x.model === model);
    if (!d) return;
    const base = model === driverModel ? config : { ...d.defaults };
    setDriverModel(model);
    setConfig(applyModel(d, deviceModel, base));
  };
  return { choice, chooseModel, driver, driverModel, config, setConfig };
}

/** The model select: one option per device model, grouped by driver. */
export function DriverModelSelect({ drivers, value, onChange }: { drivers: Driver[]; value: string; onChange: (value: string) => void }) {
  const { t, pick, model } = useI18n();
  return (
    <select name="model" value={value} onChange={(e) => onChange(e.target.value)} required>
      <option value="" disabled>{t('groups.choose_model')}</option>
      {drivers.map((d) => (
        <optgroup key={d.model} label={pick(d.title)}>
          {d.device_models.map((m) => (
            <option key={m} value={`${d.model}|${m}`}>{model(m)}</option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

const policyText = (p: PoolPolicy): Record<keyof PoolPolicy, string> => ({
  fn_expiry_days: String(p.fn_expiry_days),
  fn_fill_percent: String(p.fn_fill_percent),
  ofd_backlog_days: String(p.ofd_backlog_days),
  shift_margin_min: String(p.shift_margin_min),
  warn_days: String(p.warn_days),
});

export function GroupForm({ drivers, group, onClose, onSaved }: { drivers: Driver[]; group: Group | null; onClose: () => void; onSaved: () => void }) {
  const { t, pick, lang } = useI18n();
  const client = useClient();
  const { choice, chooseModel, driver, driverModel, config, setConfig } = useDriverChoice(drivers, group ? { driver: group.driver, deviceModel: group.device_model_name, config: group.config } : null);
  const [policy, setPolicy] = useState(() => policyText(group?.settings.pool_policy ?? DEFAULT_POOL_POLICY));
  const [form, setForm] = useState({
    name: group?.name ?? '',
    default_tax_system: group ? group.settings.default_tax_system : 1,
    default_vat: group?.settings.default_vat ?? null,
    auto_open_shift: group?.settings.auto_open_shift ?? true,
    shift_duration: group?.settings.shift_duration ?? 1440,
    daily_close_time: group?.settings.daily_close_time ?? '',
    marking_policy: group?.settings.marking_policy ?? 'offline_allowed',
    group_code: groupCodeOf(group),
    events_url: eventsUrlOf(group),
  });
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => setForm((f) => ({ ...f, [k]: v }));

  const save = async () => {
    setBusy(true);
    setErr(null);
    const body = {
      ...form,
      daily_close_time: form.daily_close_time === '' ? null : form.daily_close_time,
      group_code: form.group_code.trim() === '' ? null : form.group_code.trim(),
      // Sent as it is: the same URL keeps its signer (the server compares), '' clears it.
      events_url: form.events_url.trim() === '' ? null : form.events_url.trim(),
      shift_duration: Number(form.shift_duration),
      pool_policy: Object.fromEntries(Object.entries(policy).map(([k, v]) => [k, Number(v)])),
      driver: driverModel,
      config,
    };
    try {
      if (group) await client.call('PATCH', `/service_groups/${group.id}`, body);
      else await client.call('POST', '/service_groups', body);
      onSaved();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, [{ code: 'error', message: errorText(e) }]));
    } finally {
      setBusy(false);
    }
  };
  const known = ['name', 'driver', 'default_tax_system', 'default_vat', 'shift_duration', 'daily_close_time', 'marking_policy', 'group_code', 'events_url', ...POOL_POLICY_FIELDS.map((f) => `pool_policy.${f.key}`)];

  return (
    <Modal
      title={group ? t('groups.edit_title', { name: group.name }) : t('groups.add_title')}
      onClose={onClose}
      onSubmit={save}
      busy={busy || !driver}
      wide
      error={formError(err, known)}
    >
      <div className="form-cols">
        <Field label={t('groups.name')} error={err?.field('name')}>
          <input name="name" value={form.name} onChange={(e) => set('name', e.target.value)} required maxLength={128} />
        </Field>
        <Field label={t('groups.model')} error={err?.field('driver')}>
          <DriverModelSelect drivers={drivers} value={choice} onChange={chooseModel} />
        </Field>
      </div>

      {driver ? (
        <fieldset>
          <legend>{t('groups.config')} — {pick(driver.title)}</legend>
          <ConfigForm key={`${driver.model}-${lang}`} driver={driver.model} schema={driver.config_schema} value={config} onChange={setConfig} errors={(f) => err?.field(f)} editing={!!group} />
        </fieldset>
      ) : null}

      <fieldset>
        <legend>{t('groups.fiscal')}</legend>
        <div className="form-cols">
          <Field label={t('groups.tax_system')} error={err?.field('default_tax_system')}>
            <select name="default_tax_system" value={form.default_tax_system ?? ''} onChange={(e) => set('default_tax_system', e.target.value === '' ? null : Number(e.target.value))}>
              <option value="">{t('groups.not_set')}</option>
              {Object.entries(TAX_SYSTEMS).map(([code, n]) => <option key={code} value={code}>{pick(n)}</option>)}
            </select>
          </Field>
          <Field label={t('groups.vat')} error={err?.field('default_vat')}>
            <select name="default_vat" value={form.default_vat ?? ''} onChange={(e) => set('default_vat', e.target.value === '' ? null : Number(e.target.value))}>
              <option value="">{t('groups.not_set')}</option>
              {Object.entries(VAT_RATES).map(([code, n]) => <option key={code} value={code}>{pick(n)}</option>)}
            </select>
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>{t('groups.marking')}</legend>
        <Field label={t('groups.marking_policy')} error={err?.field('marking_policy')} hint={pick(MARKING_POLICIES[form.marking_policy].hint)}>
          <select name="marking_policy" value={form.marking_policy} onChange={(e) => { if (isPolicy(e.target.value)) set('marking_policy', e.target.value); }}>
            {POLICIES.map((p) => <option key={p} value={p} title={pick(MARKING_POLICIES[p].hint)}>{pick(MARKING_POLICIES[p].name)}</option>)}
          </select>
        </Field>
      </fieldset>

      <fieldset>
        <legend>{t('groups.atol_online')}</legend>
        <Field label={t('groups.group_code')} error={err?.field('group_code')} hint={t('groups.group_code_hint')}>
          <input name="group_code" value={form.group_code} onChange={(e) => set('group_code', e.target.value)} maxLength={64} pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" autoComplete="off" spellCheck={false} />
        </Field>
      </fieldset>

      <fieldset>
        <legend>{t('groups.events')}</legend>
        <Field label={t('groups.events_url')} error={err?.field('events_url')} hint={t('groups.events_url_hint')}>
          <input name="events_url" type="url" value={form.events_url} onChange={(e) => set('events_url', e.target.value)} maxLength={2048} placeholder="https://" autoComplete="off" spellCheck={false} />
        </Field>
      </fieldset>

      <fieldset>
        <legend>{t('groups.shift')}</legend>
        <Field label={t('groups.auto_open')} inline>
          <input name="auto_open_shift" type="checkbox" checked={form.auto_open_shift} onChange={(e) => set('auto_open_shift', e.target.checked)} />
        </Field>
        <div className="form-cols">
          <Field label={t('groups.shift_duration')} error={err?.field('shift_duration')}>
            <input name="shift_duration" type="number" min={1} max={1440} step={1} value={form.shift_duration} onChange={(e) => set('shift_duration', Number(e.target.value))} required />
          </Field>
          <Field label={t('groups.daily_close')} error={err?.field('daily_close_time')}>
            <input name="daily_close_time" type="time" value={form.daily_close_time} onChange={(e) => set('daily_close_time', e.target.value)} />
          </Field>
        </div>
      </fieldset>

      <fieldset data-testid="pool-policy">
        <legend>{t('groups.pool_policy')}</legend>
        <p className="muted small-text fieldset-hint">{t('groups.pool_policy_hint')}</p>
        <div className="form-cols">
          {POOL_POLICY_FIELDS.map((f) => (
            <Field key={f.key} label={pick(f.label)} error={err?.field(`pool_policy.${f.key}`)} hint={pick(f.hint)}>
              <input
                name={`pool_policy.${f.key}`}
                type="number"
                min={f.min}
                max={f.max}
                step={1}
                value={policy[f.key]}
                onChange={(e) => setPolicy((p) => ({ ...p, [f.key]: e.target.value }))}
                required
              />
            </Field>
          ))}
        </div>
      </fieldset>
    </Modal>
  );
}
