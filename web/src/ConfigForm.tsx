import { useState } from 'react';
import type { ApiError, JsonSchema } from './api';
import { Field } from './components/Modal';
import { TAX_SYSTEMS, taxSystemBits, useI18n } from './i18n';

/** Choices of a property: `enum`, or a union of constants (TypeBox Literal unions). */
export function choicesOf(s: JsonSchema): unknown[] | null {
  if (Array.isArray(s.enum)) return s.enum;
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0 && s.anyOf.every((b) => 'const' in b)) return s.anyOf.map((b) => b.const);
  return null;
}

/** Tag 1062 settings are a bitmask in the API: the form shows one checkbox per taxation system. */
const isTaxSystems = (key: string, s: JsonSchema) => key === 'tax_systems' && s.type === 'integer';

const kindOf = (key: string, s: JsonSchema): 'tax_systems' | 'choice' | 'boolean' | 'integer' | 'number' | 'object' | 'string' => {
  if (isTaxSystems(key, s)) return 'tax_systems';
  if (choicesOf(s)) return 'choice';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'integer') return 'integer';
  if (s.type === 'number') return 'number';
  if (s.type === 'object') return 'object';
  return 'string';
};

/** A choice as people say it: FFD «1.05» for the protocol's "105", device models in the page's language. */
const choiceLabel = (key: string, c: unknown, model: (name: string) => string): string => {
  if (key === 'ffd_version' && (c === '105' || c === '120')) return c === '105' ? '1.05' : '1.2';
  if (key === 'device_model' && typeof c === 'string') return model(c);
  return String(c);
};

const isSecret = (key: string) => /password|secret|token/i.test(key);

/**
 * A driver's settings form, rendered from its TypeBox config schema (titles, descriptions,
 * enums, bounds): any driver added to the registry gets its form without UI code.
 */
export function ConfigForm(props: {
  /** The driver model (emulator, atol, shtrih): the Russian texts are keyed by it. */
  driver: string;
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  errors: (field: string) => string | undefined;
  /** Editing a stored config: secrets are not sent back, leaving them empty keeps them. */
  editing?: boolean;
}) {
  const { configLabel, configHint, model } = useI18n();
  const required = new Set(props.schema.required ?? []);
  const set = (k: string, v: unknown) => {
    const next = { ...props.value };
    if (v === undefined) delete next[k];
    else next[k] = v;
    props.onChange(next);
  };
  return (
    <div className="config-grid">
      {Object.entries(props.schema.properties ?? {}).map(([key, s]) => {
        const label = configLabel(props.driver, key, s.title);
        const description = configHint(props.driver, key, s.description);
        const range = s.minimum !== undefined && s.maximum !== undefined ? `${s.minimum} – ${s.maximum}`
          : s.minimum !== undefined ? `≥ ${s.minimum}` : s.maximum !== undefined ? `≤ ${s.maximum}` : '';
        const hint = [description, range ? `(${range})` : ''].filter(Boolean).join(' ');
        const v = props.value[key];
        const name = `config.${key}`;
        const error = props.errors(name);
        switch (kindOf(key, s)) {
          case 'tax_systems':
            return <TaxSystemsField key={key} name={name} label={label} hint={description} error={error} value={typeof v === 'number' ? v : 0} onChange={(mask) => set(key, mask)} />;
          case 'boolean':
            return (
              <Field key={key} label={label} hint={description} error={error} inline>
                <input type="checkbox" name={name} checked={v === true} onChange={(e) => set(key, e.target.checked)} />
              </Field>
            );
          case 'choice':
            return (
              <Field key={key} label={label} hint={description} error={error}>
                <select name={name} value={v === undefined ? '' : JSON.stringify(v)} onChange={(e) => set(key, e.target.value === '' ? undefined : JSON.parse(e.target.value) as unknown)}>
                  {required.has(key) ? null : <option value="">—</option>}
                  {(choicesOf(s) ?? []).map((c) => (
                    <option key={JSON.stringify(c)} value={JSON.stringify(c)}>{choiceLabel(key, c, model)}</option>
                  ))}
                </select>
              </Field>
            );
          case 'integer':
          case 'number':
            return (
              <Field key={key} label={label} hint={hint} error={error}>
                <input
                  type="number"
                  name={name}
                  step={s.type === 'integer' ? 1 : 'any'}
                  min={s.minimum}
                  max={s.maximum}
                  value={typeof v === 'number' ? v : ''}
                  onChange={(e) => set(key, e.target.value === '' ? undefined : Number(e.target.value))}
                />
              </Field>
            );
          case 'object':
            return <JsonObjectField key={key} name={name} label={label} hint={description} error={error} value={v} onChange={(o) => set(key, o)} />;
          case 'string':
            return (
              <Field key={key} label={label} hint={description} error={error}>
                <input
                  type={isSecret(key) ? 'password' : 'text'}
                  name={name}
                  value={typeof v === 'string' ? v : ''}
                  maxLength={s.maxLength}
                  placeholder={isSecret(key) && props.editing ? '••••••' : undefined}
                  autoComplete="off"
                  onChange={(e) => set(key, e.target.value === '' && !required.has(key) ? undefined : e.target.value)}
                />
              </Field>
            );
        }
      })}
    </div>
  );
}

/**
 * A setting that is a JSON object (e.g. the virtual register's per-GTIN marking answers): edited as
 * JSON text; only a valid object reaches the settings, so a typo never replaces the stored value.
 */
function JsonObjectField(props: { name: string; label: string; hint?: string | undefined; error?: string | undefined; value: unknown; onChange: (v: Record<string, unknown> | undefined) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState(() => (props.value === undefined ? '' : JSON.stringify(props.value, null, 1)));
  const [bad, setBad] = useState(false);
  const edit = (next: string) => {
    setText(next);
    if (next.trim() === '') {
      setBad(false);
      props.onChange(undefined);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(next);
      const ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      setBad(!ok);
      if (ok) props.onChange(parsed as Record<string, unknown>);
    } catch {
      setBad(true);
    }
  };
  return (
    <Field label={props.label} hint={props.hint} error={props.error ?? (bad ? t('config.json_object') : undefined)}>
      <textarea name={props.name} rows={3} value={text} spellCheck={false} aria-invalid={bad} onChange={(e) => edit(e.target.value)} />
    </Field>
  );
}

/** Taxation systems (tag 1062) as checkboxes; the API keeps the bitmask (1 ОСН, 2 УСН доход, ...). */
export function TaxSystemsField(props: { name: string; label: string; hint?: string | undefined; error?: string | undefined; value: number; onChange: (mask: number) => void }) {
  const { pick, t } = useI18n();
  const on = new Set(taxSystemBits(props.value));
  return (
    <fieldset className={`field checks${props.error ? ' invalid' : ''}`} data-testid={props.name}>
      <legend className="label">{props.label}</legend>
      <div className="check-list">
        {Object.entries(TAX_SYSTEMS).map(([code, names]) => {
          const bit = Number(code);
          return (
            <label key={code} className="check">
              <input type="checkbox" name={`${props.name}.${code}`} value={code} checked={on.has(bit)} onChange={(e) => props.onChange(e.target.checked ? props.value | bit : props.value & ~bit)} />
              <span>{pick(names)}</span>
            </label>
          );
        })}
      </div>
      {on.size === 0 ? <span className="hint">{t('groups.tax_systems_none')}</span> : null}
      {props.hint && !props.error ? <span className="hint">{props.hint}</span> : null}
      {props.error ? <span className="err">{props.error}</span> : null}
    </fieldset>
  );
}

/**
 * The message a form with device settings shows at its top: the errors no field of the form shows
 * (`shownByFields`; `config.*` errors are shown by ConfigForm beside their settings), or, when only
 * settings are wrong, the error's summary so the user looks for them.
 */
export function formError(err: ApiError | null, shownByFields: readonly string[] = []): string | null {
  if (!err) return null;
  const general = err.errors.filter((e) => !e.field || (!shownByFields.includes(e.field) && !e.field.startsWith('config.'))).map((e) => e.message).join('; ');
  if (general) return general;
  return err.errors.some((e) => e.field?.startsWith('config.')) ? err.message : null;
}
