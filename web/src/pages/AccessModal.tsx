import { useState } from 'react';
import { errorText, useClient, type Group, type User } from '../api';
import { Modal } from '../components/Modal';
import { useI18n } from '../i18n';

/** «Настройки доступа»: two lists with arrow buttons in the center; the right list may use the group. */
export function AccessModal({ group, users, onClose, onSaved }: { group: Group; users: User[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const client = useClient();
  const [allowed, setAllowed] = useState<Set<number>>(new Set(group.access));
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const left = users.filter((u) => !allowed.has(u.id));
  const right = users.filter((u) => allowed.has(u.id));
  const toggle = (id: number) => setPicked((p) => {
    const n = new Set(p);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const move = (toRight: boolean) => {
    const next = new Set(allowed);
    for (const id of picked) {
      if (toRight && !allowed.has(id)) next.add(id);
      if (!toRight && allowed.has(id)) next.delete(id);
    }
    setAllowed(next);
    setPicked(new Set());
  };
  const save = async () => {
    setBusy(true);
    try {
      await client.call('PUT', `/service_groups/${group.id}/access`, { user_ids: [...allowed] });
      onSaved();
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const list = (items: User[], title: string, testId: string) => (
    <div className="dual-col">
      <div className="dual-title">{title} <span className="count">{items.length}</span></div>
      <ul className="dual-list" role="listbox" aria-label={title} aria-multiselectable="true" data-testid={testId}>
        {items.map((u) => (
          <li
            key={u.id}
            role="option"
            aria-selected={picked.has(u.id)}
            className={picked.has(u.id) ? 'picked' : ''}
            onClick={() => toggle(u.id)}
            onDoubleClick={() => {
              const n = new Set(allowed);
              if (n.has(u.id)) n.delete(u.id);
              else n.add(u.id);
              setAllowed(n);
              setPicked(new Set());
            }}
            data-login={u.login}
          >
            <span className="u-login">{u.login}</span>
            <span className="u-name">{u.name}</span>
            {u.is_superuser ? <span className="tag">{t('users.superuser')}</span> : null}
            {!u.is_active ? <span className="tag muted">{t('users.inactive')}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
  const pickedLeft = left.some((u) => picked.has(u.id));
  const pickedRight = right.some((u) => picked.has(u.id));
  return (
    <Modal title={t('access.title', { name: group.name })} onClose={onClose} onSubmit={save} busy={busy} error={err} wide>
      <p className="muted small-text">{t('access.hint')}</p>
      <div className="dual">
        {list(left, t('access.denied'), 'access-left')}
        <div className="dual-arrows">
          <button type="button" className="arrow" onClick={() => move(true)} disabled={!pickedLeft} title={t('access.to_right')} aria-label={t('access.to_right')}>→</button>
          <button type="button" className="arrow" onClick={() => move(false)} disabled={!pickedRight} title={t('access.to_left')} aria-label={t('access.to_left')}>←</button>
        </div>
        {list(right, t('access.allowed'), 'access-right')}
      </div>
    </Modal>
  );
}
