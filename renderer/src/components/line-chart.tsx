/** A small SVG line chart over time, each point with its value as a tooltip. */
import { useId } from "react";
import type { Point } from "../lib/run-series";

const W = 420;
const H = 160;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

export function LineChart(props: { title: string; points: Point[]; format(value: number): string }) {
  const { title, points, format } = props;
  const titleId = useId();
  if (points.length < 2) {
    return (
      <figure className="chart">
        <figcaption>{title}</figcaption>
        <p className="muted">The chart appears after two finished backups.</p>
      </figure>
    );
  }
  const times = points.map((p) => p.time);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const vMax = Math.max(...points.map((p) => p.value), 1);
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / vMax) * (H - PAD.top - PAD.bottom);
  const path = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join(" ");
  const last = points.at(-1);
  return (
    <figure className="chart">
      <figcaption id={titleId}>
        {title}
        {last ? <span className="muted"> — latest {format(last.value)}</span> : null}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={titleId} className="chart-svg">
        <line className="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text className="tick" x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
          {format(vMax)}
        </text>
        <text className="tick" x={PAD.left - 6} y={H - PAD.bottom} textAnchor="end">
          0
        </text>
        <text className="tick" x={PAD.left} y={H - 8}>
          {new Date(t0).toLocaleDateString()}
        </text>
        <text className="tick" x={W - PAD.right} y={H - 8} textAnchor="end">
          {new Date(t1).toLocaleDateString()}
        </text>
        <path className="line" d={path} />
        {points.map((p, i) => (
          <circle key={i} className="dot" cx={x(p.time)} cy={y(p.value)} r={3}>
            <title>{`${p.label}: ${format(p.value)} (${new Date(p.time).toLocaleString()})`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
