import { useEffect } from 'react';
import type { OrphanList } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';

const CHANGED = 'cr:orphans-changed';

/** Tells the banner to count again (after an acknowledgement). */
export function orphansChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/**
 * The red banner on every page while fiscal documents that no receipt owns wait for an
 * acknowledgement: the reconciliation of the FN journal is never silent.
 */
export function OrphanBanner() {
  const { t } = useI18n();
  const { data, reload } = useApi<OrphanList>('/orphan-documents?open=true&limit=1', 10_000);
  useEffect(() => {
    window.addEventListener(CHANGED, reload);
    return () => window.removeEventListener(CHANGED, reload);
  }, [reload]);
  if (!data || data.open_count === 0) return null;
  return (
    <div className="orphan-banner" role="alert" data-testid="orphan-banner">
      <span className="orphan-banner-icon" aria-hidden="true">⚠</span>
      <div className="orphan-banner-text">
        <Link to="/orphans" className="orphan-banner-title">{t('orphans.banner', { n: data.open_count })}</Link>
        <span className="orphan-banner-hint">{t('orphans.hint')}</span>
      </div>
      <Link to="/orphans" className="button danger-solid small">{t('orphans.review')}</Link>
    </div>
  );
}
