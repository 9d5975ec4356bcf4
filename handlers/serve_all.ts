/**
 * The whole API and dashboard for `deno serve` (`deno serve --parallel -A --port 8080
 * handlers/serve_all.ts`): every worker serves every route and runs the rollout-wave
 * dispatcher, which is safe with several workers because waves are claimed with a
 * revision-checked update. Projectors and the scheduler run elsewhere
 * (`deno task projector`, `deno task scheduler`).
 */
import { lazyServe } from "./standalone.ts";
import { allRoutes } from "./routes.ts";
import { startWaveDispatcher } from "../lib/exec/waves.ts";

export default lazyServe(allRoutes, {
  staticFiles: true,
  components: [startWaveDispatcher],
  name: "kanade-api",
});
