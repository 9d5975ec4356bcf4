// @ts-check
/// <reference lib="dom" />
/** Unknown client route. */
import { h } from "../dom.js";
import { pageHeader } from "../ui.js";

export const title = "Not found";

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main }) {
  main.append(
    pageHeader("Page not found"),
    h(
      "p",
      null,
      "There is no page at ",
      h("code", null, location.pathname),
      ". ",
      h("a", { href: "/dashboard" }, "Go to the dashboard"),
      ".",
    ),
  );
}
