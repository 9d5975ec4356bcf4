/** The README's route table is generated from the router; it must not drift. */
import assert from "node:assert/strict";
import { renderRouteTable, replaceSection, routeFiles } from "../tools/route_table.ts";
import { allRoutes } from "../handlers/routes.ts";

Deno.test("README route table matches every mounted route (tools/route_table.ts --write)", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const table = renderRouteTable(allRoutes, await routeFiles());
  assert.equal(
    replaceSection(readme, table),
    readme,
    "README route table is stale: run `deno run -A tools/route_table.ts --write`",
  );
  assert.equal(table.split("\n").filter((l) => l.startsWith("| `")).length, allRoutes.length);
});
