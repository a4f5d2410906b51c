import { formatDay } from '../format';
import { useI18n } from '../i18n';

/** A hand-drawn stacked bar chart in SVG: one bar per day, one colour per series. */
export const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#65a30d'];

export function BarChart(props: { labels: string[]; series: { name: string; values: number[] }[]; format?: (n: number) => string; height?: number; empty?: string }) {
  const { t } = useI18n();
  const width = 640;
  const height = props.height ?? 220;
  const pad = { l: 44, r: 8, t: 10, b: 26 };
  const totals = props.labels.map((_, i) => props.series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const rawMax = Math.max(1, ...totals);
  const step = niceStep(rawMax / 4);
  const max = Math.ceil(rawMax / step) * step;
  const plotW = width - pad.l - pad.r;
  const plotH = height - pad.t - pad.b;
  const bw = plotW / Math.max(1, props.labels.length);
  const y = (v: number) => pad.t + plotH - (v / max) * plotH;
  const fmt = props.format ?? ((n: number) => String(n));
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  const every = Math.ceil(props.labels.length / 10);
  // An axis of zeros says nothing: an empty chart says so instead.
  if (totals.every((v) => v <= 0)) return <div className="chart-empty" data-testid="chart-empty">{props.empty ?? t('common.no_data')}</div>;

  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img">
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} className="grid" />
          <text x={pad.l - 6} y={y(v) + 4} className="axis" textAnchor="end">{fmt(v)}</text>
        </g>
      ))}
      {props.labels.map((label, i) => {
        let acc = 0;
        return (
          <g key={label}>
            {props.series.map((s, k) => {
              const v = s.values[i] ?? 0;
              if (v <= 0) return null;
              const y0 = y(acc);
              acc += v;
              const y1 = y(acc);
              return (
                <rect key={s.name} x={pad.l + i * bw + bw * 0.15} width={bw * 0.7} y={y1} height={Math.max(0.5, y0 - y1)} rx={2} fill={PALETTE[k % PALETTE.length]}>
                  <title>{`${label} · ${s.name}: ${fmt(v)}`}</title>
                </rect>
              );
            })}
            {i % every === 0 ? (
              <text x={pad.l + i * bw + bw / 2} y={height - 8} className="axis" textAnchor="middle">{formatDay(label)}</text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const m = raw / p;
  const nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
  return Math.max(1, nice * p);
}
