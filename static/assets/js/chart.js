// @ts-check
/// <reference lib="dom" />
/**
 * Small inline-SVG line charts (no chart library). The scaling, tick and path maths are
 * pure and DOM-free (unit-tested under Deno); `lineChart` builds the SVG with a text
 * summary for screen readers and a data table fallback in a <details>.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Linear map from a domain to a range; a zero-width domain maps to the range's middle.
 * @param {[number, number]} domain @param {[number, number]} range
 */
export function scaleLinear(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  return (/** @type {number} */ v) =>
    span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0);
}

/**
 * Min/max over the numeric values of `keys` in `rows` (nulls and NaN skipped); null when
 * there is no value at all.
 * @param {Record<string, any>[]} rows @param {string[]} keys
 * @returns {[number, number] | null}
 */
export function extent(rows, keys) {
  let lo = Infinity, hi = -Infinity;
  for (const r of rows) {
    for (const k of keys) {
      const v = r[k];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo === Infinity ? null : [lo, hi];
}

/**
 * "Nice" round ticks covering [min, max] (about `count` of them: 1, 2 or 5 × 10^n apart).
 * The first tick is <= min and the last >= max, so they double as the axis bounds.
 * @returns {number[]}
 * @param {number} min
 * @param {number} max
 */
export function niceTicks(min, max, count = 4) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    if (min === 0) return [0, 1];
    const pad = Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const span = max - min;
  const mag = 10 ** Math.floor(Math.log10(span / Math.max(1, count)));
  // The 1-2-5 step whose interval count is closest to the one asked for.
  let step = mag;
  for (const m of [1, 2, 5, 10]) {
    if (Math.abs(span / (m * mag) - count) < Math.abs(span / step - count)) step = m * mag;
  }
  const start = Math.floor(min / step) * step;
  const out = [];
  for (let v = start; v < max + step * 0.5; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (out.length > 50) break;
  }
  if (out[out.length - 1] < max) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

/**
 * SVG path data through the points; a null/NaN value breaks the line (a gap in the
 * samples stays visible instead of being bridged).
 * @param {{x: number, y: number|null}[]} pts already scaled
 */
export function pathData(pts) {
  let d = "";
  let pen = false;
  for (const p of pts) {
    if (p.y === null || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** "14:05" or, across days, "11-21 14:05" (local time). @param {number} ms @param {boolean} days */
export function timeLabel(ms, days) {
  const d = new Date(ms);
  /** @param {number} n */
  const p = (n) => String(n).padStart(2, "0");
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return days ? `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}` : hm;
}

/**
 * Up to `n` evenly spaced instants inside [from, to] for the x axis.
 * @param {number} fromMs
 * @param {number} toMs
 */
export function timeTicks(fromMs, toMs, n = 5) {
  if (!(toMs > fromMs)) return [fromMs];
  const out = [];
  for (let i = 0; i < n; i++) out.push(fromMs + ((toMs - fromMs) * i) / (n - 1));
  return out;
}

/**
 * The geometry of a chart, pure: scaled series paths, y ticks and x ticks.
 * @param {{rows: Record<string, any>[], keys: string[], fromMs: number, toMs: number,
 *   width: number, height: number, pad: {l: number, r: number, t: number, b: number},
 *   yMin?: number, yMax?: number}} o rows carry `at` (RFC 3339) and a number per key
 */
export function layout(o) {
  const ext = extent(o.rows, o.keys);
  const lo = o.yMin ?? Math.min(0, ext?.[0] ?? 0);
  const hi = Math.max(o.yMax ?? -Infinity, ext?.[1] ?? 1);
  const yTicks = niceTicks(lo, hi, 4);
  const y = scaleLinear([yTicks[0], yTicks[yTicks.length - 1]], [
    o.height - o.pad.b,
    o.pad.t,
  ]);
  const x = scaleLinear([o.fromMs, o.toMs], [o.pad.l, o.width - o.pad.r]);
  const rows = o.rows
    .map((r) => ({ r, t: new Date(r.at).getTime() }))
    .filter(({ t }) => Number.isFinite(t))
    .sort((a, b) => a.t - b.t);
  const series = o.keys.map((k) => {
    const pts = rows.map(({ r, t }) => ({
      x: x(t),
      y: typeof r[k] === "number" && Number.isFinite(r[k]) ? y(r[k]) : null,
    }));
    return { key: k, d: pathData(pts), points: pts.filter((p) => p.y !== null) };
  });
  return {
    series,
    yTicks: yTicks.map((v) => ({ value: v, y: y(v) })),
    xTicks: timeTicks(o.fromMs, o.toMs).map((t) => ({ t, x: x(t) })),
  };
}

// ---- DOM ---------------------------------------------------------------------------------

/** @param {string} tag @param {Record<string, string|number>} [attrs] @param {...Node} kids */
function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of kids) el.appendChild(c);
  return el;
}

/** @param {number} x @param {number} y @param {string} str */
function text(x, y, str, attrs = {}) {
  const t = s("text", { x, y, ...attrs });
  t.textContent = str;
  return t;
}

/**
 * A line chart of one or more series over a time window.
 * @param {{id: string, title: string, rows: Record<string, any>[],
 *   series: {key: string, label: string}[], fromMs: number, toMs: number,
 *   format: (v: number) => string, yMin?: number, yMax?: number}} o
 * @returns {HTMLElement}
 */
export function lineChart(o) {
  const W = 640, H = 200;
  const pad = { l: 78, r: 10, t: 10, b: 24 };
  const g = layout({ ...o, keys: o.series.map((x) => x.key), width: W, height: H, pad });
  const days = o.toMs - o.fromMs > 86_400_000;
  const count = g.series.reduce((n, x) => Math.max(n, x.points.length), 0);
  const latest = o.series.map((ser) => {
    const last = [...o.rows].reverse().find((r) => typeof r[ser.key] === "number");
    return `${ser.label} ${last ? o.format(last[ser.key]) : "no data"}`;
  }).join(", ");
  const summary = count
    ? `${o.title}: ${count} points; latest ${latest}.`
    : `${o.title}: no samples in this window.`;
  const svg = s(
    "svg",
    {
      viewBox: `0 0 ${W} ${H}`,
      class: "chart",
      role: "img",
      "aria-label": summary,
      id: o.id,
      "data-points": count,
    },
    ...g.yTicks.map((t) =>
      s(
        "g",
        { class: "tick" },
        s("line", { x1: pad.l, x2: W - pad.r, y1: t.y, y2: t.y, class: "grid-line" }),
        text(pad.l - 6, t.y + 4, o.format(t.value), { "text-anchor": "end" }),
      )
    ),
    ...g.xTicks.map((t, i) =>
      text(t.x, H - 6, timeLabel(t.t, days), {
        "text-anchor": i === 0 ? "start" : i === g.xTicks.length - 1 ? "end" : "middle",
      })
    ),
    ...g.series.flatMap((ser, i) => [
      s("path", { d: ser.d, class: `line s${i}`, "data-series": ser.key }),
      // A lone sample has no line to draw: mark it with a dot.
      ...(ser.points.length === 1
        ? [s("circle", { cx: ser.points[0].x, cy: ser.points[0].y ?? 0, r: 3, class: `dot s${i}` })]
        : []),
    ]),
  );
  const wrap = document.createElement("figure");
  wrap.className = "chart-box";
  const cap = document.createElement("figcaption");
  const name = document.createElement("span");
  name.className = "chart-title";
  name.textContent = o.title;
  cap.append(name);
  o.series.forEach((ser, i) => {
    const key = document.createElement("span");
    key.className = `legend s${i}`;
    key.textContent = ser.label;
    cap.append(key);
  });
  wrap.append(cap, svg);
  if (!count) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "No samples in this window.";
    wrap.append(p);
  }
  return wrap;
}
