// @ts-check
/// <reference lib="dom" />
/**
 * Agent log tail (`/api/agents/{pc}/logs`, text asked from the agent over NATS): pick a
 * PC and a line count, optionally keep refreshing, and filter the lines in the page.
 */
import * as api from "../api.js";
import { h, mount, searchInput } from "../dom.js";
import { card, errorBox, outputBox, pageHeader } from "../ui.js";
import { pcField, pcLinks } from "../views.js";

export const title = "Logs";

const FOLLOW_MS = 10_000;

/**
 * Lines of `text` containing `needle` (case-insensitive); all of them for an empty needle.
 * @returns {{text: string, shown: number, total: number}}
 * @param {string} text
 * @param {string} needle
 */
export function filterLines(text, needle) {
  const lines = String(text ?? "").split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const n = String(needle ?? "").trim().toLowerCase();
  const kept = n ? lines.filter((l) => l.toLowerCase().includes(n)) : lines;
  return { text: kept.join("\n"), shown: kept.length, total: lines.length };
}

/**
 * Clamp the requested tail to what the API accepts (1..100000, default 500).
 * @param {string | null} raw
 */
export function tailCount(raw) {
  const n = Math.floor(Number(raw));
  if (!Number.isFinite(n) || n < 1) return 500;
  return Math.min(100_000, n);
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  const pc = pcField({ id: "logs-pc", label: "PC", value: query.get("pc") ?? "", signal });
  const tail = h("input", {
    type: "number",
    id: "logs-tail",
    name: "tail",
    min: "1",
    max: "100000",
    value: String(tailCount(query.get("tail") ?? "500")),
  });
  const follow = h("input", { type: "checkbox", id: "logs-follow", name: "follow" });
  const grep = searchInput("logs-filter", "filter", "ERROR");
  const state = h("p", { class: "hint", id: "logs-state", role: "status" });
  const out = outputBox("logs-out", "Agent log lines", "Choose a PC and fetch its log.");
  const links = h("div");
  let text = "";
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let seq = 0;
  signal.addEventListener("abort", () => clearTimeout(timer));

  const show = () => {
    const f = filterLines(text, grep.value);
    out.textContent = f.text || (f.total ? "(no line matches the filter)" : "(empty log)");
    return f;
  };
  grep.addEventListener("input", () => {
    if (!text) return;
    const f = show();
    state.textContent = `${f.shown} of ${f.total} lines shown.`;
  });

  const fetchLogs = async () => {
    clearTimeout(timer);
    const id = pc.input.value.trim();
    if (!id) {
      mount(state, errorBox("Enter the PC whose log to fetch."));
      return;
    }
    const mine = ++seq;
    const n = tailCount(tail.value);
    history.replaceState(
      null,
      "",
      `/logs?pc=${encodeURIComponent(id)}${n !== 500 ? `&tail=${n}` : ""}`,
    );
    mount(links, pcLinks(id, { except: "logs" }));
    state.textContent = `Asking ${id} for its last ${n} lines…`;
    try {
      text = await api.agentLogs(id, n, signal);
      if (mine !== seq || signal.aborted) return;
      const f = show();
      state.textContent = `${f.shown} of ${f.total} lines from ${id}, fetched ${
        new Date().toLocaleTimeString()
      }.`;
    } catch (e) {
      if (mine !== seq || signal.aborted) return;
      text = "";
      out.textContent = "";
      const why = api.statusOf(e) === 504
        ? "The agent did not answer in time (is it online?)."
        : api.statusOf(e) === 502
        ? "The request to the agent failed."
        : "";
      mount(state, errorBox(e, why ? `Logs unavailable. ${why}` : "Logs unavailable:"));
    }
    if (follow.checked && !signal.aborted && mine === seq) {
      timer = setTimeout(fetchLogs, FOLLOW_MS);
    }
  };
  follow.addEventListener("change", () => {
    if (follow.checked) void fetchLogs();
    else clearTimeout(timer);
  });

  main.append(
    pageHeader("Logs"),
    h(
      "form",
      {
        class: "card inline-form",
        "aria-label": "Fetch an agent log",
        onsubmit: (ev) => {
          ev.preventDefault();
          void fetchLogs();
        },
      },
      pc.row,
      h("div", { class: "narrow" }, h("label", { for: "logs-tail" }, "Lines"), tail),
      h("button", { type: "submit", class: "btn btn-primary", id: "logs-fetch" }, "Fetch log"),
      h(
        "div",
        { class: "check" },
        follow,
        h("label", { for: "logs-follow" }, `Refresh every ${FOLLOW_MS / 1000} s`),
      ),
    ),
    links,
    card(
      "Log",
      h(
        "div",
        { class: "inline-form" },
        h("div", null, h("label", { for: "logs-filter" }, "Show lines containing"), grep),
      ),
      state,
      out,
    ),
  );
  if (pc.input.value) void fetchLogs();
}
