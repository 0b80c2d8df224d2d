/** @jsxImportSource hono/jsx */

/**
 * Inline SVG charts (issue 12, item 1): drawn on the server, styled by class from the console's
 * stylesheet (the CSP forbids inline styles), and labelled for screen readers.
 */

export function Sparkline(props: { counts: number[]; label: string }) {
  const w = 112;
  const h = 22;
  const max = Math.max(1, ...props.counts);
  const step = props.counts.length > 1 ? w / (props.counts.length - 1) : w;
  const points = props.counts
    .map((n, i) => `${(i * step).toFixed(1)},${(h - 1 - (n / max) * (h - 2)).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      class="spark"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`${props.label}: ${props.counts.join(', ')}`}
    >
      <polyline points={points} />
    </svg>
  );
}

export interface EvidencePoint {
  at: number;
  logEHalt: number;
  logESafe: number;
}

/**
 * The judge's two sequential tests over time: log E_halt against its threshold log(1/α) (halt
 * when crossed) and log E_safe against log(1/β) (promote when crossed), per look.
 */
export function EvidenceChart(props: {
  points: EvidencePoint[];
  logHaltThreshold: number;
  logSafeThreshold: number;
}) {
  const w = 900;
  const h = 260;
  const pad = 36;
  const { points } = props;
  if (points.length === 0) return <p class="muted">No judged looks yet.</p>;
  const values = points.flatMap((p) => [p.logEHalt, p.logESafe]);
  const top = Math.max(props.logHaltThreshold, props.logSafeThreshold, ...values) * 1.1 + 0.1;
  const bottom = Math.min(0, ...values) * 1.1 - 0.1;
  const t0 = points[0]?.at ?? 0;
  const t1 = Math.max(t0 + 1, points.at(-1)?.at ?? t0 + 1);
  const x = (t: number) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (v: number) => h - pad - ((v - bottom) / (top - bottom)) * (h - 2 * pad);
  const line = (pick: (p: EvidencePoint) => number) =>
    points.map((p) => `${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`Evidence over ${points.length} looks: halt threshold ${props.logHaltThreshold.toFixed(2)}, promote threshold ${props.logSafeThreshold.toFixed(2)}`}
    >
      <line class="axis" x1={pad} y1={y(0)} x2={w - pad} y2={y(0)} />
      <line
        class="threshold-halt"
        x1={pad}
        y1={y(props.logHaltThreshold)}
        x2={w - pad}
        y2={y(props.logHaltThreshold)}
      />
      <text x={w - pad} y={y(props.logHaltThreshold) - 4} text-anchor="end">
        halt: log(1/α) = {props.logHaltThreshold.toFixed(2)}
      </text>
      <line
        class="threshold-safe"
        x1={pad}
        y1={y(props.logSafeThreshold)}
        x2={w - pad}
        y2={y(props.logSafeThreshold)}
      />
      <text x={pad} y={y(props.logSafeThreshold) - 4}>
        promote: log(1/β) = {props.logSafeThreshold.toFixed(2)}
      </text>
      <polyline class="halt" points={line((p) => p.logEHalt)} />
      <polyline class="safe" points={line((p) => p.logESafe)} />
      <text x={pad} y={h - 10}>
        log E_halt (red) · log E_safe (green) · {points.length} looks
      </text>
    </svg>
  );
}
