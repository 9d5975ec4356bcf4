// @ts-check
/// <reference lib="dom" />
/** Job catalog: live running/pending counts, revoke/unrevoke, kill, delete, run. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { href } from "../routes.js";
import { confirmedButton, editLink } from "../list_actions.js";
import {
  actionButton,
  badge,
  errorBox,
  liveSection,
  pageHeader,
  stateBadge,
  table,
  toast,
} from "../ui.js";

export const title = "Jobs";

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const listEl = h("div", { id: "jobs-list" });
  const notice = h("div", { id: "jobs-notice" });
  main.append(
    pageHeader("Jobs", h("a", { class: "btn btn-primary", href: "/jobs/new" }, "New job")),
    notice,
    listEl,
  );

  const reload = liveSection(listEl, {
    signal,
    topics: ["jobs", "executions"],
    what: "Loading the catalog",
    load: async (s) => {
      const [jobs, status] = await Promise.all([
        api.jobs(s),
        api.scriptStatus(s).catch(() => ({})),
      ]);
      return { jobs: jobs ?? [], status: status ?? {} };
    },
    render: ({ jobs, status }) =>
      table({
        caption: "Job catalog",
        rows: jobs,
        empty: "No jobs registered yet. Create one with “New job”.",
        columns: [
          { label: "Job", cell: (j) => h("a", { href: href("/jobs/:id", { id: j.id }) }, j.id) },
          { label: "Version", cell: (j) => j.version },
          { label: "Description", cell: (j) => j.description ?? "—" },
          {
            label: "Shell",
            cell: (j) => `${j.execute?.shell ?? "?"} · ${j.execute?.timeout ?? "?"}`,
          },
          {
            label: "Live",
            cell: (j) => {
              const run = j.live?.running ?? 0, pend = j.live?.pending ?? 0;
              return h(
                "span",
                { "data-live": `${run}/${pend}` },
                run ? badge(`${run} running`, "info") : null,
                " ",
                pend ? badge(`${pend} pending`, "warn") : null,
                !run && !pend ? h("span", { class: "muted" }, "idle") : null,
              );
            },
          },
          { label: "Status", cell: (j) => stateBadge(status[j.id] ?? "ACTIVE") },
          { label: "Actions", cell: (j) => actions(j, status[j.id] ?? "ACTIVE") },
        ],
      }),
  });

  /**
   * After an action on a row: say so, and show the list as it is now.
   * @param {string} message
   */
  function done(message) {
    toast(message, "ok");
    void reload();
  }

  /** @param {any} j @param {any} st */
  function actions(j, st) {
    const busy = (j.live?.running ?? 0) + (j.live?.pending ?? 0) > 0;
    return h(
      "div",
      { class: "actions" },
      h("a", {
        class: "btn btn-sm btn-primary",
        href: `/exec?job=${encodeURIComponent(j.id)}`,
        "aria-label": `Run ${j.id}`,
      }, "Run"),
      editLink(href("/jobs/:id", { id: j.id }), j.id),
      confirmedButton("Kill", {
        title: `Kill every running execution of ${j.id}?`,
        body:
          "Each in-flight execution receives a kill; agents stop the script and report the result.",
      }, async () => {
        await api.killJob(j.id);
        done(`Kill sent to the running executions of ${j.id}`);
      }, {
        class: "btn btn-sm btn-danger",
        disabled: !busy,
        "aria-label": `Kill running executions of ${j.id}`,
      }),
      st === "REVOKED"
        ? actionButton("Unrevoke", async () => {
          await api.unrevokeScript(j.id);
          done(`${j.id} is active again`);
        }, { class: "btn btn-sm", "aria-label": `Unrevoke ${j.id}` })
        : confirmedButton("Revoke", {
          title: `Revoke ${j.id}?`,
          body: "Agents refuse to run a revoked job (exit 126) until it is unrevoked.",
        }, async () => {
          await api.revokeScript(j.id);
          done(`${j.id} revoked`);
        }, { class: "btn btn-sm", "aria-label": `Revoke ${j.id}` }),
      confirmedButton("Delete", {
        title: `Delete ${j.id}?`,
        body: "The job is revoked first, then removed from the catalog. Results stay.",
      }, async () => {
        notice.replaceChildren();
        try {
          await api.deleteJob(j.id);
          done(`${j.id} deleted`);
        } catch (e) {
          if (api.statusOf(e) === 409) {
            notice.append(
              errorBox(
                `${
                  /** @type {Error} */ (e).message
                }\n\nA schedule still fires this job, so deleting it would leave that schedule broken. ` +
                  "Delete or edit the schedule on the Schedules page first, then delete the job.",
                `Cannot delete ${j.id}:`,
              ),
              h("p", null, h("a", { href: "/schedules" }, "Go to Schedules")),
            );
            /** @type {HTMLElement|null} */ (notice.querySelector("a"))?.focus();
          } else throw e;
        }
      }, { class: "btn btn-sm btn-danger", "aria-label": `Delete ${j.id}` }),
    );
  }
}
