import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { publishRelease } from "../../lib/fleet/releases.ts";
import { recordAudit } from "../../lib/audit.ts";
import { badRequest } from "../../lib/errors.ts";

export const PUBLISH_BODY_LIMIT = 64 * 1024 * 1024;

function field(form: FormData, name: string): string | null {
  const v = form.get(name);
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

export const route = defineRoute({
  method: "POST",
  path: "/api/agents/publish",
  role: "operator",
  bodyLimit: PUBLISH_BODY_LIMIT,
  // Large uploads over slow links must not be cut by the default request timeout.
  timeoutMs: 600_000,
  summary:
    "Upload an agent binary (multipart `file`, <= 64 MiB); version from its PE VERSIONINFO or the `version` field.",
  request: {
    body: {
      multipart: z.object({
        file: z.file().meta({ description: "the agent binary" }),
        version: z.string().optional().meta({
          description: "required when the binary has no PE VERSIONINFO (Linux/macOS agents)",
        }),
        platform: z.string().optional().meta({ description: "default: sniffed from the binary" }),
      }),
    },
  },
  responses: {
    200: {
      json: z.strictObject({
        version: z.string(),
        size: z.number().int(),
        digest: z.string(),
        platform: z.string().nullable(),
      }),
    },
    413: "the binary is over 64 MiB",
  },
  handler: async (c) => {
    const ct = (c.req.header("content-type") ?? "").toLowerCase();
    if (!ct.startsWith("multipart/form-data")) {
      throw badRequest("expected multipart/form-data with a 'file' field");
    }
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch (e) {
      throw badRequest(`invalid multipart body: ${(e as Error).message}`);
    }
    const file = form.get("file");
    if (!file || typeof file === "string") throw badRequest("missing 'file' field");
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.length === 0) throw badRequest("the uploaded file is empty");
    const r = await publishRelease(deps(c).nats, bytes, {
      version: field(form, "version"),
      platform: field(form, "platform"),
      filename: file.name || null,
    });
    await recordAudit(deps(c).nats, {
      action: "agent_publish",
      target: r.version,
      payload: { version: r.version, size: r.size, digest: r.digest, platform: r.platform },
    }, caller(c));
    return c.json({ version: r.version, size: r.size, digest: r.digest, platform: r.platform });
  },
});
export default standalone(route);
