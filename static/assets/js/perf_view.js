// @ts-check
/// <reference lib="dom" />
/**
 * Performance cards of the agent page: host metrics over a chosen window as inline SVG
 * charts (`/api/agents/{pc}/perf`), the latest process snapshot and the top processes
 * over time (`/processes`, `/processes/timeline`).
 */
import * as api from "./api.js";
import { lineChart } from "./chart.js";
import { fmtBytes, h, mount, relTime } from "./dom.js";
import { actionButton, canWrite, errorBox, liveSection, loading, table, toast } from "./ui.js";

/** Window choices: span and the bucket step that keeps about 30-100 points. */
export const PERF_WINDOWS = [
  { key: "15m", label: "15 min", spanMs: 15 * 60_000, step: "30s" },
  { key: "1h", label: "1 hour", spanMs: 3_600_000, step: "1m" },
  { key: "6h", label: "6 hours", spanMs: 6 * 3_600_000, step: "5m" },
  { key: "24h", label: "24 hours", spanMs: 86_400_000, step: "15m" },
  { key: "7d", label: "7 days", spanMs: 7 * 86_400_000, step: "2h" },
];

/**
 * The query of a window choice ending now (unknown keys fall back to 1 hour).
 * @param {string} key
 * @param {number} nowMs
 */
export function perfWindow(key, nowMs) {
  const w = PERF_WINDOWS.find((x) => x.key === key) ?? PERF_WINDOWS[1];
  const fromMs = nowMs - w.spanMs;
  return {
    key: w.key,
    fromMs,
    toMs: nowMs,
    query: {
      from: new Date(fromMs).toISOString(),
      to: new Date(nowMs).toISOString(),
      step: w.step,
    },
  };
}

/**
 * Timeline points `{at, values: {name: v}}` as flat rows `{at, name: v}` for the chart.
 * @param {{at: string, values?: Record<string, number>}[] | null | undefined} points
 */
export function flattenTimeline(points) {
  return (points ?? []).map((p) => ({ at: p.at, ...(p.values ?? {}) }));
}

/** @param {number} v */
const pct = (v) => `${Math.round(v)} %`;
/** @param {number} v */
const rate = (v) => `${fmtBytes(v)}/s`;
/** @type {[string, string, (v: number) => string][]} */
const PROCESS_METRICS = [
  ["cpu", "CPU", pct],
  ["rss", "Memory (RSS)", fmtBytes],
  ["disk_read", "Disk read", rate],
  ["disk_written", "Disk written", rate],
];

/** @param {any} r @param {ReturnType<typeof perfWindow>} w */
function hostCharts(r, w) {
  /** @type {any[]} */
  const rows = r?.points ?? [];
  const memMax = rows.reduce((m, p) => Math.max(m, p.mem_total_bytes ?? 0), 0);
  const common = { rows, fromMs: w.fromMs, toMs: w.toMs };
  /**
   * A throughput chart (bytes per second); `series` are `[key, label]` pairs.
   * @param {string} id @param {string} title @param {[string, string][]} series
   */
  const rateChart = (id, title, series) =>
    lineChart({
      ...common,
      id,
      title,
      series: series.map(([key, label]) => ({ key, label })),
      format: rate,
      yMin: 0,
    });
  return h(
    "div",
    { class: "charts" },
    lineChart({
      ...common,
      id: "chart-cpu",
      title: "CPU",
      series: [{ key: "cpu_pct", label: "busy" }],
      format: pct,
      yMin: 0,
      yMax: 100,
    }),
    lineChart({
      ...common,
      id: "chart-mem",
      title: "Memory",
      series: [{ key: "mem_used_bytes", label: "used" }],
      format: fmtBytes,
      yMin: 0,
      yMax: memMax || undefined,
    }),
    rateChart("chart-disk", "Disk", [
      ["disk_read_bytes_per_sec", "read"],
      ["disk_written_bytes_per_sec", "written"],
    ]),
    rateChart("chart-net", "Network", [
      ["net_rx_bytes_per_sec", "received"],
      ["net_tx_bytes_per_sec", "sent"],
    ]),
  );
}

/** @param {string} id @param {string} value @param {(key: string) => void} onChange */
function windowSelect(id, value, onChange) {
  const sel = h(
    "select",
    { id, name: id },
    PERF_WINDOWS.map((w) => h("option", { value: w.key, selected: w.key === value }, w.label)),
  );
  sel.addEventListener("change", () => onChange(sel.value));
  return h("div", { class: "narrow" }, h("label", { for: id }, "Window"), sel);
}

/**
 * Host perf card body: window picker, four charts; refreshed by the live hub.
 * @param {string} pc
 * @param {AbortSignal} signal
 */
export function hostPerfSection(pc, signal) {
  let key = "1h";
  let w = perfWindow(key, Date.now());
  const el = h("div", { id: "perf-charts" });
  const refresh = liveSection(el, {
    signal,
    topics: ["perf", "agents"],
    minGapMs: 15_000,
    what: "Loading performance samples",
    load: async (s) => {
      w = perfWindow(key, Date.now());
      return await api.agentPerf(pc, w.query, s);
    },
    render: (r) => hostCharts(r, w),
  });
  return h(
    "div",
    null,
    h(
      "div",
      { class: "inline-form" },
      windowSelect("perf-window", key, (v) => {
        key = v;
        mount(el, loading("Loading performance samples"));
        void refresh();
      }),
      h(
        "p",
        { class: "hint" },
        "Host samples averaged per bucket. The sampling interval is the agent config's host_perf_interval.",
      ),
    ),
    el,
  );
}

/** How long the "sample processes" action switches process sampling on. */
export const SAMPLING_MS = 3_600_000;

/**
 * A PC scope with process sampling switched on until `untilMs`, or off (`untilMs` null);
 * every other field of the scope is kept (PUT replaces the whole scope).
 * @param {Record<string, unknown>|null} scope
 * @param {number|null} untilMs
 */
export function withProcessSampling(scope, untilMs) {
  const out = { ...(scope ?? {}) };
  if (untilMs === null) {
    out.process_perf_enabled = false;
    delete out.process_perf_expires_at;
  } else {
    out.process_perf_enabled = true;
    out.process_perf_expires_at = new Date(untilMs).toISOString();
  }
  return out;
}

/**
 * Operator buttons: sample this PC's processes for an hour, or stop.
 * @param {string} pc
 * @param {() => void} after
 */
function samplingActions(pc, after) {
  if (!canWrite()) return null;
  const scope = { type: "pc", value: pc };
  /** @param {number | null} untilMs */
  const set = async (untilMs) => {
    const cur = await api.scopeConfig(scope);
    await api.putScopeConfig(scope, withProcessSampling(cur, untilMs));
    toast(
      untilMs === null
        ? `Process sampling of ${pc} off`
        : `Process sampling of ${pc} on until ${new Date(untilMs).toLocaleTimeString()}`,
      "ok",
    );
    after();
  };
  return h(
    "div",
    { class: "actions" },
    actionButton("Sample processes for 1 hour", () => set(Date.now() + SAMPLING_MS), {
      id: "proc-sample-on",
    }),
    actionButton("Stop sampling", () => set(null), { id: "proc-sample-off" }),
  );
}

/**
 * Process card body: the latest snapshot and the top processes over time.
 * @param {string} pc
 * @param {AbortSignal} signal
 */
export function processSection(pc, signal) {
  const snapEl = h("div", { id: "proc-snapshot" });
  const tlEl = h("div", { id: "proc-timeline" });
  let metric = "cpu";
  let key = "1h";
  const metricSel = h(
    "select",
    { id: "proc-metric", name: "metric" },
    PROCESS_METRICS.map(([v, l]) => h("option", { value: v }, l)),
  );
  const loadTimeline = async () => {
    const w = perfWindow(key, Date.now());
    const step = w.key === "15m" ? "30s" : w.query.step;
    try {
      const r = await api.processTimeline(pc, { ...w.query, step, metric, top: 5 }, signal);
      const fmt = PROCESS_METRICS.find((m) => m[0] === metric)?.[2] ?? String;
      const names = r?.names ?? [];
      mount(
        tlEl,
        names.length
          ? lineChart({
            id: "chart-proc",
            title: `Top processes by ${PROCESS_METRICS.find((m) => m[0] === metric)?.[1]}`,
            rows: flattenTimeline(r.points),
            series: names.map((/** @type {string} */ n) => ({ key: n, label: n })),
            fromMs: w.fromMs,
            toMs: w.toMs,
            format: fmt,
            yMin: 0,
          })
          : h("p", { class: "empty" }, "No process samples in this window."),
      );
    } catch (e) {
      if (!signal.aborted) mount(tlEl, errorBox(e));
    }
  };
  metricSel.addEventListener("change", () => {
    metric = metricSel.value;
    void loadTimeline();
  });
  const refreshSnap = liveSection(snapEl, {
    signal,
    topics: ["perf", "agents"],
    minGapMs: 15_000,
    what: "Loading processes",
    load: (s) => api.agentProcesses(pc, s),
    render: (r) => {
      void loadTimeline();
      if (!r?.latest_at) {
        return h(
          "p",
          { class: "empty" },
          "No process samples. Process sampling is off unless the agent config enables it (process_perf_enabled): sample for an hour above, or ",
          h(
            "a",
            { href: `/config?scope=pc&value=${encodeURIComponent(pc)}` },
            "set it in this PC's config",
          ),
          ".",
        );
      }
      return h(
        "div",
        null,
        h("p", { class: "hint" }, `Snapshot ${relTime(r.latest_at)}.`),
        table({
          caption: `Processes of ${pc}`,
          rows: (r.processes ?? []).slice(0, 15),
          columns: [
            { label: "Process", cell: (p) => p.name },
            { label: "PID", cell: (p) => p.pid, class: "num" },
            {
              label: "CPU",
              cell: (p) => p.cpu_pct === null ? "—" : `${Number(p.cpu_pct).toFixed(1)} %`,
              class: "num",
            },
            { label: "RSS", cell: (p) => fmtBytes(p.rss_bytes), class: "num" },
            { label: "Disk read", cell: (p) => rate(p.disk_read_bytes_per_sec ?? 0), class: "num" },
            {
              label: "Disk written",
              cell: (p) => rate(p.disk_written_bytes_per_sec ?? 0),
              class: "num",
            },
          ],
        }),
      );
    },
  });
  return h(
    "div",
    null,
    samplingActions(pc, () => void refreshSnap()),
    snapEl,
    h(
      "div",
      { class: "inline-form", style: "margin-top:12px" },
      h("div", { class: "narrow" }, h("label", { for: "proc-metric" }, "Metric"), metricSel),
      windowSelect("proc-window", key, (v) => {
        key = v;
        void loadTimeline();
      }),
    ),
    tlEl,
  );
}

/**
 * Dashboard card body: fleet CPU and memory over the last hour (average and busiest PC per
 * bucket), the PCs busiest right now, and the PCs with process sampling on.
 * @param {AbortSignal} signal
 */
export function fleetPerfSection(signal) {
  const chartsEl = h("div", { id: "fleet-perf" });
  const topEl = h("div", { id: "fleet-top" });
  const invEl = h("div", { id: "fleet-investigations" });
  liveSection(chartsEl, {
    signal,
    topics: ["agents"],
    minGapMs: 30_000,
    what: "Loading fleet performance",
    load: async (s) => {
      const w = perfWindow("1h", Date.now());
      const [avg, max, mem] = await Promise.all([
        api.perfFleet({ ...w.query, metric: "cpu_pct", agg: "avg" }, s),
        api.perfFleet({ ...w.query, metric: "cpu_pct", agg: "max" }, s),
        api.perfFleet({ ...w.query, metric: "mem_used_bytes", agg: "avg" }, s),
      ]);
      return { w, cpu: mergeSeries({ avg: avg?.points, max: max?.points }), mem: mem?.points };
    },
    render: ({ w, cpu, mem }) =>
      h(
        "div",
        { class: "charts" },
        lineChart({
          id: "chart-fleet-cpu",
          title: "Fleet CPU",
          rows: cpu,
          series: [{ key: "avg", label: "average" }, { key: "max", label: "busiest PC" }],
          fromMs: w.fromMs,
          toMs: w.toMs,
          format: pct,
          yMin: 0,
          yMax: 100,
        }),
        lineChart({
          id: "chart-fleet-mem",
          title: "Memory used per PC",
          rows: (mem ?? []).map((/** @type {any} */ p) => ({ at: p.at, avg: p.value })),
          series: [{ key: "avg", label: "average" }],
          fromMs: w.fromMs,
          toMs: w.toMs,
          format: fmtBytes,
          yMin: 0,
        }),
      ),
  });
  liveSection(topEl, {
    signal,
    topics: ["agents"],
    minGapMs: 30_000,
    load: (s) => api.perfTop({ metric: "cpu_pct", window: "5m", limit: 5 }, s),
    render: (r) =>
      table({
        caption: "Busiest PCs (CPU, last 5 min)",
        rows: r?.rows ?? [],
        empty: "No samples in the last 5 minutes.",
        columns: [
          {
            label: "PC",
            cell: (x) => h("a", { href: `/agents/${encodeURIComponent(x.pc_id)}` }, x.pc_id),
          },
          { label: "Hostname", cell: (x) => x.hostname ?? "—" },
          { label: "CPU", cell: (x) => pct(x.value ?? 0), class: "num" },
        ],
      }),
  });
  liveSection(invEl, {
    signal,
    topics: ["agents"],
    minGapMs: 30_000,
    load: (s) => api.activeInvestigations(s),
    render: (r) =>
      (r?.rows ?? []).length
        ? h(
          "ul",
          { class: "kv-list", "aria-label": "PCs with process sampling on" },
          r.rows.map((/** @type {any} */ x) =>
            h("li", null, h("a", { href: `/agents/${encodeURIComponent(x.pc_id)}` }, x.pc_id))
          ),
        )
        : h("p", { class: "empty" }, "No PC has process sampling on."),
  });
  return h(
    "div",
    null,
    chartsEl,
    h(
      "div",
      { class: "grid", style: "margin-top:12px" },
      h("div", null, h("h3", null, "Busiest PCs"), topEl),
      h("div", null, h("h3", null, "Process sampling on"), invEl),
    ),
  );
}

/**
 * Several `{at, value}` series as one row per instant: `{at, <name>: value}`.
 * @param {Record<string, {at: string, value: number}[] | undefined>} byName
 */
export function mergeSeries(byName) {
  /** @type {Map<string, Record<string, any>>} */
  const rows = new Map();
  for (const [name, points] of Object.entries(byName)) {
    for (const p of points ?? []) {
      if (!rows.has(p.at)) rows.set(p.at, { at: p.at });
      /** @type {Record<string, any>} */ (rows.get(p.at))[name] = p.value;
    }
  }
  return [...rows.values()].sort((a, b) => String(a.at).localeCompare(String(b.at)));
}
