import type { ReactNode } from 'react';
import { Link } from '../router';

/** «Кассовые сервисы / Интернет-магазин»: separators only between the links, none trailing. */
export function Crumbs({ items }: { items: { to: string; label: ReactNode }[] }) {
  // Not a <nav>: the top bar is the page's navigation landmark.
  return (
    <div className="crumbs">
      {items.map((c, i) => (
        <span key={c.to}>
          {i > 0 ? <span className="sep" aria-hidden="true"> / </span> : null}
          <Link to={c.to}>{c.label}</Link>
        </span>
      ))}
    </div>
  );
}
