import { useI18n } from '../i18n';
import { Link } from '../router';

/** «Чеки» | «Документы ФН» | «Уведомления» of one cash register service. */
export function GroupTabs({ groupId, active }: { groupId: number; active: 'receipts' | 'documents' | 'events' }) {
  const { t } = useI18n();
  return (
    <nav className="tabs" aria-label={t('groups.title')}>
      <Link to={`/groups/${groupId}/receipts`} className={active === 'receipts' ? 'tab active' : 'tab'}>{t('tabs.receipts')}</Link>
      <Link to={`/groups/${groupId}/documents`} className={active === 'documents' ? 'tab active' : 'tab'}>{t('tabs.documents')}</Link>
      <Link to={`/groups/${groupId}/events`} className={active === 'events' ? 'tab active' : 'tab'}>{t('tabs.events')}</Link>
    </nav>
  );
}
