/**
 * A hook's deliveries per hour (succeeded / failed, stacked bars) and attempt latency p50 / p99
 * (lines), server-rendered SVG from the EndpointDO's hourly aggregates: no script, no CDN, and the
 * numbers are also written out as text for screen readers and tests.
 */
import { HOUR_MS } from "../../core/time";

export interface HourPoint {
  hour: number;
  succeeded: number;
  failed: number;
  attempts: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export const RANGES = { "24h": 24, "7d": 168 } as const;
export type Range = keyof typeof RANGES;

/** Every hour of the range, oldest first, with zeros where the object recorded nothing. */
export function fillHours(points: HourPoint[], range: Range, now: number): HourPoint[] {
  const n = RANGES[range];
  const last = Math.floor(now / HOUR_MS) * HOUR_MS;
  const byHour = new Map(points.map((p) => [p.hour, p]));
  return Array.from({ length: n }, (_, i) => {
    const hour = last - (n - 1 - i) * HOUR_MS;
    return byHour.get(hour) ?? { hour, succeeded: 0, failed: 0, attempts: 0, p50_ms: null, p99_ms: null };
  });
}

const W = 720;
const BAR_H = 120;
const LAT_TOP = 150;
const LAT_H = 70;
const H = LAT_TOP + LAT_H + 16;

export function DeliveryChart(props: { points: HourPoint[]; range: Range; base: string }) {
  const pts = props.points;
  const succeeded = pts.reduce((s, p) => s + p.succeeded, 0);
  const failed = pts.reduce((s, p) => s + p.failed, 0);
  const maxCount = Math.max(1, ...pts.map((p) => p.succeeded + p.failed));
  const lat = pts.flatMap((p) => [p.p50_ms ?? 0, p.p99_ms ?? 0]);
  const maxLat = Math.max(1, ...lat);
  const p50s = pts.map((p) => p.p50_ms).filter((x): x is number => x !== null);
  const p99s = pts.map((p) => p.p99_ms).filter((x): x is number => x !== null);
  const step = W / pts.length;
  const barW = Math.max(1, step * 0.8);
  const y = (n: number) => (n / maxCount) * BAR_H;
  const line = (key: "p50_ms" | "p99_ms") =>
    pts.map((p, i) => (p[key] === null ? null : `${(i * step + step / 2).toFixed(1)},${(LAT_TOP + LAT_H - ((p[key] ?? 0) / maxLat) * LAT_H).toFixed(1)}`))
      .filter(Boolean).join(" ");
  const label = props.range === "24h" ? "last 24 hours" : "last 7 days";
  const summary = `${succeeded} succeeded, ${failed} failed in the ${label}; latency p50 ${p50s.length ? Math.max(...p50s) : "–"} ms, p99 ${p99s.length ? Math.max(...p99s) : "–"} ms at the slowest hour`;
  return (
    <section class="chart-box" aria-labelledby="chart-title" data-chart={props.range}>
      <div class="chart-head">
        <h3 id="chart-title">Deliveries per hour, {label}</h3>
        <nav aria-label="Chart range" class="tabs">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <a href={`${props.base}?range=${r}`} aria-current={r === props.range ? "page" : undefined}>{r}</a>
          ))}
        </nav>
      </div>
      <p class="legend">
        <span class="key ok"></span> Succeeded <strong data-succeeded={String(succeeded)}>{succeeded}</strong>
        <span class="key bad"></span> Failed <strong data-failed={String(failed)}>{failed}</strong>
        <span class="key p50"></span> p50 <span class="key p99"></span> p99 latency (max {Math.round(maxLat)} ms)
      </p>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <title>{summary}</title>
        <line x1="0" y1={BAR_H} x2={W} y2={BAR_H} stroke="#c9ced6" />
        {pts.map((p, i) => {
          const x = (i * step + (step - barW) / 2).toFixed(1);
          const hs = y(p.succeeded);
          const hf = y(p.failed);
          const at = new Date(p.hour).toISOString().slice(0, 13) + ":00Z";
          return p.succeeded + p.failed === 0 ? null : (
            <g data-hour={at} data-ok={String(p.succeeded)} data-failed={String(p.failed)}>
              <title>{`${at}: ${p.succeeded} succeeded, ${p.failed} failed${p.p50_ms !== null ? `, p50 ${p.p50_ms} ms, p99 ${p.p99_ms} ms` : ""}`}</title>
              {p.succeeded > 0 && <rect x={x} y={(BAR_H - hs).toFixed(1)} width={barW.toFixed(1)} height={hs.toFixed(1)} fill="#1a7f37" />}
              {p.failed > 0 && <rect x={x} y={(BAR_H - hs - hf).toFixed(1)} width={barW.toFixed(1)} height={hf.toFixed(1)} fill="#cf222e" />}
            </g>
          );
        })}
        <text x="4" y="12" font-size="11" fill="#667">{maxCount}</text>
        <line x1="0" y1={LAT_TOP + LAT_H} x2={W} y2={LAT_TOP + LAT_H} stroke="#c9ced6" />
        <polyline points={line("p50_ms")} fill="none" stroke="#2456d3" stroke-width="2" />
        <polyline points={line("p99_ms")} fill="none" stroke="#d97706" stroke-width="2" />
        {/* a dot per hour, so an hour on its own still shows */}
        {(["p50_ms", "p99_ms"] as const).flatMap((key) => line(key).split(" ").filter(Boolean).map((xy) => {
          const [cx, cy] = xy.split(",");
          return <circle cx={cx} cy={cy} r="3" fill={key === "p50_ms" ? "#2456d3" : "#d97706"} />;
        }))}
        <text x="4" y={LAT_TOP + 10} font-size="11" fill="#667">{Math.round(maxLat)} ms</text>
        <text x="4" y={H - 2} font-size="11" fill="#667">{new Date(pts[0]!.hour).toISOString().slice(5, 13).replace("T", " ")}h</text>
        <text x={W - 4} y={H - 2} font-size="11" fill="#667" text-anchor="end">now</text>
      </svg>
    </section>
  );
}
