/**
 * The pool thresholds (`pool_policy`) as the group form shows them. Imports nothing, so the server's
 * tests can read it (test/web/pool-policy.test.ts): the limits and defaults must be the ones the
 * server checks and applies (src/domain/pool.ts).
 */

type PoolPolicyKey = 'fn_expiry_days' | 'fn_fill_percent' | 'ofd_backlog_days' | 'shift_margin_min' | 'warn_days';

/** What a new group's form starts with: the server's defaults. */
export const DEFAULT_POOL_POLICY: Readonly<Record<PoolPolicyKey, number>> = { fn_expiry_days: 3, fn_fill_percent: 90, ofd_backlog_days: 25, shift_margin_min: 30, warn_days: 15 };

/** The pool thresholds (`pool_policy`): label, hint and limits of each, in the form's order. */
export const POOL_POLICY_FIELDS: readonly { key: PoolPolicyKey; min: number; max: number; label: { ru: string; en: string }; hint: { ru: string; en: string } }[] = [
  {
    key: 'fn_expiry_days', min: 0, max: 365,
    label: { ru: 'Срок ФН, дней до конца', en: 'FN expiry, days left' },
    hint: { ru: 'Касса «с замечаниями», когда до конца срока ФН осталось не больше стольких дней (0–365).', en: 'The register is degraded when its FN expires within this many days (0–365).' },
  },
  {
    key: 'fn_fill_percent', min: 1, max: 100,
    label: { ru: 'Заполнение архива ФН, %', en: 'FN archive use, %' },
    hint: { ru: 'Касса «с замечаниями», когда архив ФН заполнен на столько процентов (1–100).', en: 'The register is degraded when its FN archive is this many percent full (1–100).' },
  },
  {
    key: 'ofd_backlog_days', min: 1, max: 29,
    label: { ru: 'Очередь ОФД, дней', en: 'OFD backlog, days' },
    hint: { ru: 'Касса «с замечаниями», когда старейший неотправленный в ОФД документ старше стольких дней; через 30 дней ФН блокируется (1–29).', en: 'The register is degraded when its oldest document unsent to the OFD is older than this; the FN blocks at 30 days (1–29).' },
  },
  {
    key: 'shift_margin_min', min: 0, max: 720,
    label: { ru: 'Запас до 24 ч смены, мин', en: 'Shift margin before 24 h, min' },
    hint: { ru: 'Без автоматического открытия смены: касса «с замечаниями» за столько минут до 24 часов смены (0–720).', en: 'Without automatic shifts: the register is degraded this many minutes before its shift reaches 24 h (0–720).' },
  },
  {
    key: 'warn_days', min: 1, max: 365,
    label: { ru: 'Предупреждать о прогнозе ФН за, дней', en: 'Warn of the FN forecast, days ahead' },
    hint: { ru: 'Истечение срока ФН, заполнение архива или блокировка без ОФД ближе стольких дней — предупреждение в обзоре и журнале (1–365).', en: 'FN expiry, a full archive or the OFD block closer than this many days is a warning on the overview and in the log (1–365).' },
  },
];
