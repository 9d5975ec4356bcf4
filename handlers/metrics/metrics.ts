import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { type Caller, cleanSource, constantTimeEqual } from "../../lib/auth.ts";
import { resolveCaller } from "../../lib/accounts/caller.ts";
import type { Deps } from "../../lib/deps.ts";
import { renderMetrics } from "../../lib/metrics.ts";
import { collectScrapeGauges } from "../../lib/reads/metrics_scrape.ts";

/**
 * Who may scrape: the bearer `KANADE_METRICS_TOKEN` when it is set (a credential that can
 * read nothing but this route, for Prometheus), else any caller with the viewer role.
 */
export async function authenticateScrape(
  d: Deps,
  authorization: string | undefined | null,
  source: string | undefined | null,
): Promise<Caller> {
  const raw = (authorization ?? "").trim();
  const token = d.config.metricsToken;
  if (token && raw.startsWith("Bearer ")) {
    if (await constantTimeEqual(raw.slice("Bearer ".length).trim(), token)) {
      return {
        sub: "metrics-token",
        roles: ["viewer"],
        source: cleanSource(source),
        kind: "service",
      };
    }
  }
  return await resolveCaller(d, authorization, source);
}

export const route = defineRoute({
  method: "GET",
  path: "/metrics",
  role: "viewer",
  authenticate: authenticateScrape,
  summary:
    "Prometheus text format: HTTP, projectors, scheduler, SSE, agents; bearer KANADE_METRICS_TOKEN or a viewer token",
  responses: {
    200: {
      description: "The metrics of this process, plus broker and database gauges",
      content: { "text/plain": z.string() },
    },
    401: "missing or invalid token",
    403: "the token lacks the viewer role",
  },
  handler: async (c) => {
    await collectScrapeGauges(deps(c));
    const { body, contentType } = await renderMetrics();
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  },
});

export default standalone(route);
