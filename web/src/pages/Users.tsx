import { useState } from 'react';
import { ApiError, errorText, useClient, type Ok, type Session, type User } from '../api';
import { Field, Modal } from '../components/Modal';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

type Editing = { kind: 'new' } | { kind: 'edit'; user: User } | { kind: 'password'; user: User } | { kind: 'secret'; user: User };

export function Users({ session }: { session: Session }) {
  const { t, dateTime } = useI18n();
  const client = useClient();
  const { data: users, error, reload } = useApi<User[]>('/users');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const act = async (fn: () => Promise<unknown>) => {
    setNotice(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setNotice(errorText(e));
    }
  };
  const remove = (u: User) => {
    if (!confirm(t('common.confirm_delete', { name: u.login }))) return;
    void act(async () => {
      try {
        await client.call('DELETE', `/users/${u.id}`);
      } catch (e) {
        if (e instanceof ApiError && e.errors[0]?.code === 'user_has_receipts' && confirm(`${e.message}\n\n${t('users.deactivate_instead')}`)) {
          await client.call('PATCH', `/users/${u.id}`, { is_active: false });
          return;
        }
        throw e;
      }
    });
  };

  return (
    <section>
      <div className="page-head">
        <h1>{t('users.title')}</h1>
        <button type="button" className="primary" onClick={() => setEditing({ kind: 'new' })}>{t('common.add')}</button>
      </div>
      {error || notice ? <div className="alert error" role="alert">{notice ?? error}</div> : null}
      {!users ? <p className="muted">{t('common.loading')}</p> : (
        <div className="card table-card">
          <table className="table users-table">
            <thead>
              <tr>
                <th>{t('users.login')}</th>
                <th>{t('users.name')}</th>
                <th>{t('users.active')}</th>
                <th>{t('users.superuser')}</th>
                <th className="num">{t('users.receipts')}</th>
                <th className="hide-sm">{t('receipts.created')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className={u.is_active ? '' : 'dim'} data-login={u.login}>
                  <td data-label={t('users.login')}>
                    <strong>{u.login}</strong>
                    {u.id === session.user.id ? <span className="tag">{t('users.you')}</span> : null}
                  </td>
                  <td data-label={t('users.name')}>{u.name || '—'}</td>
                  <td data-label={t('users.active')}>{u.is_active ? <span className="badge ok">{t('common.yes')}</span> : <span className="badge muted">{t('users.inactive')}</span>}</td>
                  <td data-label={t('users.superuser')}>{u.is_superuser ? <span className="badge info">{t('common.yes')}</span> : t('common.no')}</td>
                  <td className="num" data-label={t('users.receipts')}>{u.receipts ?? 0}</td>
                  <td className="hide-sm">{dateTime(u.created_at)}</td>
                  <td className="actions">
                    <button type="button" className="ghost small" onClick={() => setEditing({ kind: 'edit', user: u })}>{t('common.edit')}</button>
                    <button type="button" className="ghost small" onClick={() => setEditing({ kind: 'password', user: u })}>{t('users.change_password')}</button>
                    <button type="button" className="ghost small" data-testid="callback-secret" onClick={() => setEditing({ kind: 'secret', user: u })}>{t('users.callback_secret')}</button>
                    {u.id !== session.user.id ? (
                      <>
                        <button type="button" className="ghost small" onClick={() => void act(() => client.call('PATCH', `/users/${u.id}`, { is_active: !u.is_active }))}>
                          {u.is_active ? t('users.deactivate') : t('users.activate')}
                        </button>
                        <button type="button" className="ghost small danger" onClick={() => remove(u)}>{t('common.delete')}</button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing?.kind === 'password' ? (
        <PasswordModal user={editing.user} onClose={() => setEditing(null)} />
      ) : editing?.kind === 'secret' ? (
        <SecretModal user={editing.user} onClose={() => setEditing(null)} />
      ) : editing ? (
        <UserModal user={editing.kind === 'edit' ? editing.user : null} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); reload(); }} />
      ) : null}
    </section>
  );
}

function UserModal({ user, onClose, onSaved }: { user: User | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const client = useClient();
  const [form, setForm] = useState({ login: user?.login ?? '', name: user?.name ?? '', password: '', is_active: user?.is_active ?? true, is_superuser: user?.is_superuser ?? false });
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => setForm((f) => ({ ...f, [k]: v }));

  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      if (user) await client.call('PATCH', `/users/${user.id}`, { name: form.name, is_active: form.is_active, is_superuser: form.is_superuser });
      else await client.call('POST', '/users', form);
      onSaved();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, [{ code: 'error', message: errorText(e) }]));
    } finally {
      setBusy(false);
    }
  };
  const general = err && err.errors.filter((e) => !e.field || !['login', 'name', 'password'].includes(e.field)).map((e) => e.message).join('; ');

  return (
    <Modal title={user ? t('users.edit_title', { login: user.login }) : t('users.add_title')} onClose={onClose} onSubmit={save} busy={busy} error={general || null}>
      <Field label={t('users.login')} error={err?.field('login')}>
        <input name="login" value={form.login} onChange={(e) => set('login', e.target.value)} disabled={!!user} required autoComplete="off" />
      </Field>
      <Field label={t('users.name')} error={err?.field('name')}>
        <input name="name" value={form.name} onChange={(e) => set('name', e.target.value)} autoComplete="off" />
      </Field>
      {!user ? (
        <Field label={t('users.password')} error={err?.field('password')}>
          <input name="password" type="password" value={form.password} onChange={(e) => set('password', e.target.value)} required autoComplete="new-password" />
        </Field>
      ) : null}
      <div className="row">
        <Field label={t('users.active')} inline>
          <input name="is_active" type="checkbox" checked={form.is_active} onChange={(e) => set('is_active', e.target.checked)} />
        </Field>
        <Field label={t('users.superuser')} inline>
          <input name="is_superuser" type="checkbox" checked={form.is_superuser} onChange={(e) => set('is_superuser', e.target.checked)} />
        </Field>
      </div>
    </Modal>
  );
}

function PasswordModal({ user, onClose }: { user: User; onClose: () => void }) {
  const { t } = useI18n();
  const client = useClient();
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const save = async () => {
    try {
      await client.call('PUT', `/users/${user.id}/password`, { password });
      onClose();
    } catch (e) {
      setErr(errorText(e));
    }
  };
  return (
    <Modal title={t('users.password_title', { login: user.login })} onClose={onClose} onSubmit={save} error={err}>
      <Field label={t('users.new_password')}>
        <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
      </Field>
    </Modal>
  );
}

type SecretStatus = Ok<'/admin/api/users/{id}/callback_secret'>;
type RotatedSecret = Ok<'/admin/api/users/{id}/callback_secret/rotate', 'post'>;

/**
 * «Секрет уведомлений»: whether the user's callbacks have a signing secret and when it was changed;
 * «Сменить секрет» makes a new one and shows it this once (the server never shows it again).
 */
function SecretModal({ user, onClose }: { user: User; onClose: () => void }) {
  const { t, dateTime } = useI18n();
  const client = useClient();
  const { data: status, error } = useApi<SecretStatus>(`/users/${user.id}/callback_secret`);
  const [rotated, setRotated] = useState<RotatedSecret | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const rotate = async () => {
    setBusy(true);
    setErr(null);
    try {
      setRotated(await client.call<RotatedSecret>('POST', `/users/${user.id}/callback_secret/rotate`));
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const shown = rotated ?? status;
  return (
    <Modal
      title={t('users.secret_title', { login: user.login })}
      onClose={onClose}
      {...(rotated ? {} : { onSubmit: rotate, submitLabel: t('users.rotate_secret') })}
      busy={busy}
      error={err ?? error}
    >
      <p className="muted">{t('users.secret_hint')}</p>
      {!shown ? <p className="muted">{t('common.loading')}</p> : (
        <div data-testid="secret-status">
          <p>{shown.set ? t('users.secret_set') : t('users.secret_none')}</p>
          {shown.rotated_at ? <p>{t('users.secret_rotated', { t: dateTime(shown.rotated_at) })}</p> : null}
          {shown.previous_valid_until ? <p>{t('users.secret_previous', { t: dateTime(shown.previous_valid_until) })}</p> : null}
        </div>
      )}
      {rotated ? (
        <div className="alert ok" role="status">
          <strong>{t('users.secret_new')}:</strong> <code data-testid="new-secret">{rotated.secret}</code>
          <br />
          {t('users.secret_once')}
        </div>
      ) : null}
    </Modal>
  );
}
