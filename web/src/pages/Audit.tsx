import { useEffect, useState, type ReactNode } from 'react';
import { errorText, useClient, type AuditEntry, type Driver, type User } from '../api';
import { useApi } from '../hooks';
import { AUDIT_ACTIONS, AUDIT_FIELDS, FAULT_KINDS, LOGIN_FAILURE_REASONS, TAX_SYSTEMS, taxSystemBits, VAT_RATES, useI18n } from '../i18n';

const PAGE = 100;

/** An entry's details as stored (JSON text); anything else is shown as it is. */
function parseDetails(text: string | null): Record<string, unknown> | string | null {
  if (text === null || text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : text;
  } catch {
    return text;
  }
}

/** «Журнал действий»: who did what, in words; failed logins included. */
export function Audit() {
  const { t } = useI18n();
  const client = useClient();
  const users = useApi<User[]>('/users');
  const drivers = useApi<Driver[]>('/drivers');
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (before: number | null) => {
    try {
      const page = await client.call<AuditEntry[]>('GET', `/audit?limit=${PAGE}${before !== null ? `&before=${before}` : ''}`);
      setItems((old) => (before === null ? page : [...(old ?? []), ...page]));
      setMore(page.length === PAGE);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    let live = true;
    client.call<AuditEntry[]>('GET', `/audit?limit=${PAGE}`).then(
      (page) => {
        if (!live) return;
        setItems(page);
        setMore(page.length === PAGE);
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [client]);

  const names: Names = { logins: new Map((users.data ?? []).map((u) => [u.id, u.login])), drivers: new Map((drivers.data ?? []).map((d) => [d.model, d.title])) };
  const last = items?.[items.length - 1];
  return (
    <section>
      <div className="page-head"><h1>{t('audit.title')}</h1></div>
      {error ? <div className="alert error">{error}</div> : null}
      {!items ? <p className="muted">{t('common.loading')}</p> : items.length === 0 ? <p className="empty" data-testid="audit-empty">{t('audit.empty')}</p> : (
        <div className="card table-card">
          <table className="table audit-table">
            <thead><tr><th>{t('audit.at')}</th><th>{t('audit.who')}</th><th>{t('audit.action')}</th><th>{t('audit.target')}</th><th className="hide-sm">{t('audit.details')}</th><th className="hide-sm">{t('audit.ip')}</th></tr></thead>
            <tbody>
              {items.map((a) => <AuditRow key={a.id} entry={a} names={names} />)}
            </tbody>
          </table>
        </div>
      )}
      {more && last ? <div className="center"><button type="button" className="secondary" onClick={() => void load(last.id)}>{t('audit.more')}</button></div> : null}
    </section>
  );
}

/** What ids in the journal stand for: user logins, driver titles. */
interface Names {
  logins: Map<number, string>;
  drivers: Map<string, { ru: string; en: string }>;
}

function AuditRow({ entry: a, names }: { entry: AuditEntry; names: Names }) {
  const { t, pick, dateTime } = useI18n();
  const failed = a.action === 'auth.login_failed';
  // `actor_login` is the actor's login now; `login` the one written at the time (kept after a deletion).
  // A failed login has no actor (the attempted login is its target); other actor-less entries are the server's own.
  const who = a.actor_login ?? (a.user_id !== null && a.login ? t('audit.deleted_user', { login: a.login }) : a.login) ?? (failed ? '—' : t('audit.system'));
  return (
    <tr data-action={a.action} className={failed ? 'row-failed' : ''}>
      <td>{dateTime(a.at)}</td>
      <td>{who}</td>
      <td><span className={`audit-action${failed ? ' failed' : ''}`} title={a.action}>{pick(AUDIT_ACTIONS[a.action]) || a.action}</span></td>
      <td>{targetText(a.target, pick, names.logins)}</td>
      <td className="hide-sm details-cell"><Details text={a.details} names={names} /></td>
      <td className="hide-sm">{a.ip ?? '—'}</td>
    </tr>
  );
}

/** `user:5` → «Пользователь demo», `service_group:2` → «Кассовый сервис №2». */
function targetText(target: string | null, pick: (v: { ru: string; en: string } | undefined) => string, logins: Map<number, string>): string {
  if (!target) return '—';
  const m = /^([a-z_]+):(.+)$/.exec(target);
  if (!m) return target;
  const [, kind = '', id = ''] = m;
  const label = pick(AUDIT_FIELDS[kind]);
  if (!label) return target;
  const login = kind === 'user' ? logins.get(Number(id)) : undefined;
  if (login) return `${label} ${login}`;
  return /^\d+$/.test(id) ? `${label} №${id}` : `${label} ${id}`;
}

function Details({ text, names }: { text: string | null; names: Names }) {
  const { t, pick, tOr, roubles, dateTime, configLabel } = useI18n();
  const details = parseDetails(text);
  if (details === null) return null;
  if (typeof details === 'string') return <span>{details}</span>;
  const driver = typeof details.driver === 'string' ? details.driver : '';
  const value = (key: string, v: unknown): ReactNode => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (key === 'reason' && typeof v === 'string') return pick(LOGIN_FAILURE_REASONS[v]) || v;
    if ((key === 'state' || key === 'previous_state') && typeof v === 'string') return tOr(`rstate.${v}`, v);
    if (key === 'default_tax_system' && typeof v === 'number') return pick(TAX_SYSTEMS[v]) || String(v);
    if (key === 'default_vat' && typeof v === 'number') return pick(VAT_RATES[v]) || String(v);
    if (key === 'kind' && typeof v === 'string') return pick(FAULT_KINDS[v]) || v;
    if (key === 'driver' && typeof v === 'string') return pick(names.drivers.get(v)) || v;
    // Orphan documents journal their sum in kopecks.
    if (key === 'total' && typeof v === 'number') return roubles(v / 100);
    if (key === 'document_at' && typeof v === 'string') return dateTime(v);
    if ((key === 'before' || key === 'after') && Array.isArray(v)) return v.length === 0 ? '—' : v.map((id) => (typeof id === 'number' ? names.logins.get(id) ?? `#${id}` : String(id))).join(', ');
    // Device settings: labelled as the settings form labels them; taxation systems by name.
    if (key === 'config' && typeof v === 'object' && !Array.isArray(v)) {
      return Object.entries(v).map(([k, x]) => {
        const shown = k === 'tax_systems' && typeof x === 'number' ? taxSystemBits(x).map((bit) => pick(TAX_SYSTEMS[bit])).join(', ') : typeof x === 'boolean' ? (x ? t('common.yes') : t('common.no')) : typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x);
        return `${configLabel(driver, k, k)}: ${shown}`;
      }).join('; ');
    }
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
    if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${pick(AUDIT_FIELDS[k]) || k}: ${typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x)}`).join('; ');
    return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  };
  return (
    <dl className="audit-details">
      {Object.entries(details).map(([k, v]) => (
        <div key={k}>
          <dt>{pick(AUDIT_FIELDS[k]) || k}</dt>
          <dd>{value(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}
