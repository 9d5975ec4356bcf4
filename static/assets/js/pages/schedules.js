// @ts-check
/// <reference lib="dom" />
/** Schedules: next run, enable/disable (disable may cascade to revoking the job), delete. */
import * as api from "../api.js";
import { fmtTime, h, relTime } from "../dom.js";
import { href } from "../routes.js";
import { confirmedButton, editLink } from "../list_actions.js";
import { badge, confirmDialog, liveSection, pageHeader, stateBadge, table, toast } from "../ui.js";

export const title = "Schedules";

/**
 * Short text for a schedule's timing: `when:` shape or legacy cron.
 * @param {any} s
 */
export function whenText(s) {
  if (s.cron) return `cron ${s.cron}${s.mode ? ` · ${s.mode}` : ""}`;
  const w = s.when;
  if (!w) return "—";
  if (typeof w === "string") return w;
  const [k, v] = Object.entries(w)[0] ?? [];
  if (!k) return "—";
  if (v === "once" || typeof v === "string") return `${k}: ${v}`;
  if (k === "calendar") {
    return `calendar ${v.at ?? ""}${v.days ? ` ${[].concat(v.days).join(",")}` : ""}`;
  }
  if (k === "on") return `on ${[].concat(v).join(", ")}`;
  if (v && typeof v === "object" && "every" in v) return `${k} every ${v.every}`;
  return `${k}: ${JSON.stringify(v)}`;
}

/** @param {any} s */
export function targetText(s) {
  const t = s.target ?? {};
  const parts = [];
  if (t.all) parts.push("all");
  if (t.groups?.length) parts.push(`groups ${t.groups.join(", ")}`);
  if (t.pcs?.length) parts.push(`${t.pcs.length} PC${t.pcs.length === 1 ? "" : "s"}`);
  if (s.rollout?.waves?.length) parts.push(`${s.rollout.waves.length} waves`);
  return parts.join(" · ") || "—";
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const listEl = h("div", { id: "schedules-list" });
  main.append(
    pageHeader(
      "Schedules",
      h("a", { class: "btn btn-primary", href: "/schedules/new" }, "New schedule"),
    ),
    listEl,
  );

  const reload = liveSection(listEl, {
    signal,
    topics: ["schedules", "executions"],
    what: "Loading schedules",
    load: async (s) => {
      const [rows, upcoming] = await Promise.all([
        api.schedules(s),
        api.upcomingSchedules(500, s).catch(() => []),
      ]);
      const next = new Map((upcoming ?? []).map((/** @type {any} */ u) => [u.id, u.next_run]));
      return { rows: rows ?? [], next };
    },
    render: ({ rows, next }) =>
      table({
        caption: "Schedules",
        rows,
        empty: "No schedules. Create one with “New schedule”.",
        columns: [
          {
            label: "Schedule",
            cell: (s) => h("a", { href: href("/schedules/:id", { id: s.id }) }, s.id),
          },
          {
            label: "Job",
            cell: (s) => h("a", { href: href("/jobs/:id", { id: s.job_id }) }, s.job_id),
          },
          { label: "When", cell: (s) => h("code", null, whenText(s)) },
          { label: "Target", cell: targetText },
          {
            label: "Next run",
            cell: (s) => {
              const n = next.get(s.id);
              if (s.enabled === false) return badge("disabled", "muted");
              if (s.runs_on === "agent") return h("span", { class: "muted" }, "on the agents");
              return n ? h("time", { datetime: n, title: fmtTime(n) }, relTime(n)) : "—";
            },
          },
          { label: "Enabled", cell: (s) => toggle(s) },
          {
            label: "Actions",
            cell: (s) =>
              h(
                "div",
                { class: "actions" },
                editLink(href("/schedules/:id", { id: s.id }), s.id),
                confirmedButton("Delete", {
                  title: `Delete schedule ${s.id}?`,
                  body: "It stops firing at once. Past executions and results stay.",
                }, async () => {
                  await api.deleteSchedule(s.id);
                  toast(`Schedule ${s.id} deleted`, "ok");
                  void reload();
                }, { class: "btn btn-sm btn-danger", "aria-label": `Delete ${s.id}` }),
              ),
          },
        ],
      }),
  });

  /** @param {any} s */
  function toggle(s) {
    const on = s.enabled !== false;
    const btn = h(
      "button",
      {
        type: "button",
        role: "switch",
        class: "switch",
        id: `toggle-${s.id}`,
        "aria-checked": String(on),
        "aria-label": `Schedule ${s.id} enabled`,
      },
    );
    btn.addEventListener("click", async () => {
      if (btn.hasAttribute("aria-busy")) return;
      let cascade = false;
      if (on) {
        // The dialog returns focus to this switch, so it must stay enabled meanwhile.
        const r = await confirmDialog({
          title: `Disable ${s.id}?`,
          body: "The schedule stops firing until it is enabled again.",
          confirm: "Disable",
          option: {
            label: `Also revoke job ${s.job_id}`,
            hint: "Cascade: agents then refuse runs of this job already queued or replayed.",
          },
        });
        if (!r) return;
        cascade = r.option;
      }
      btn.setAttribute("aria-busy", "true");
      try {
        if (on) {
          await api.disableSchedule(s.id, cascade);
          toast(`${s.id} disabled${cascade ? ` and ${s.job_id} revoked` : ""}`, "ok");
        } else {
          await api.enableSchedule(s.id);
          toast(`${s.id} enabled`, "ok");
        }
        await reload();
        // The list re-rendered: keep the keyboard user on this schedule's switch.
        document.getElementById(`toggle-${s.id}`)?.focus();
      } catch (e) {
        toast(e instanceof Error ? e.message : String(e), "fail");
      } finally {
        btn.removeAttribute("aria-busy");
      }
    });
    return h("span", { class: "check" }, btn, stateBadge(on ? "enabled" : "disabled"));
  }
}
