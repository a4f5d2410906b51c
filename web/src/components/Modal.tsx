import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n';

/** A modal dialog with the original's «Сохранить» button; Escape and the backdrop close it. */
export function Modal(props: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  onSubmit?: () => void | Promise<void>;
  submitLabel?: string;
  busy?: boolean;
  wide?: boolean;
  /** The submit button does something destructive (red). */
  danger?: boolean;
  error?: string | null;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  // Escape closes with the latest onClose; the listener itself lives as long as the dialog.
  const onClose = useRef(props.onClose);
  useEffect(() => {
    onClose.current = props.onClose;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose.current();
    };
    document.addEventListener('keydown', onKey);
    ref.current?.querySelector<HTMLElement>('input, select, textarea, button')?.focus();
    document.body.classList.add('modal-open');
    return () => {
      document.removeEventListener('keydown', onKey);
      document.body.classList.remove('modal-open');
    };
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void props.onSubmit?.();
  };
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className={`modal${props.wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={props.title} ref={ref}>
        <form onSubmit={submit}>
          <header className="modal-head">
            <h2>{props.title}</h2>
            <button type="button" className="icon" aria-label={t('common.close')} onClick={props.onClose}>×</button>
          </header>
          <div className="modal-body">
            {props.error ? <div className="alert error" role="alert">{props.error}</div> : null}
            {props.children}
          </div>
          <footer className="modal-foot">
            <button type="button" className="ghost" onClick={props.onClose}>{props.onSubmit ? t('common.cancel') : t('common.close')}</button>
            {props.onSubmit ? (
              <button type="submit" className={props.danger ? 'danger-solid' : 'primary'} disabled={props.busy}>{props.submitLabel ?? t('common.save')}</button>
            ) : null}
          </footer>
        </form>
      </div>
    </div>
  );
}

export function Field(props: { label: string; error?: string | undefined; hint?: string | undefined; children: ReactNode; inline?: boolean }) {
  return (
    <label className={`field${props.inline ? ' inline' : ''}${props.error ? ' invalid' : ''}`}>
      {props.inline ? props.children : null}
      <span className="label">{props.label}</span>
      {props.inline ? null : props.children}
      {props.hint && !props.error ? <span className="hint">{props.hint}</span> : null}
      {props.error ? <span className="err">{props.error}</span> : null}
    </label>
  );
}
