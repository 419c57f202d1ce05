/**
 * vSphere tags, read through vCenter's REST API (the vAPI endpoints under /rest): which VMs carry a
 * tag, so that a job can follow a tag the way it follows a folder. The requests go over the vim
 * client's pinned connection; the session is opened and closed around each lookup.
 */
import https from "node:https";
import { SnapferryError } from "../../common/errors.js";
import type { VimClient } from "./vim-client.js";
import { VsphereNetworkError, VsphereProtocolError } from "./vsphere-errors.js";

const REST = "/rest/com/vmware/cis";
const TIMEOUT_MS = 30_000;
const MAX_ANSWER = 16 * 1024 * 1024;

interface Rest {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** The moref values ("vm-42") of the VMs carrying the tag named `tagName` (any category). */
export async function vmsWithTag(client: VimClient, tagName: string): Promise<string[]> {
  const access = client.restAccess();
  const login = restCall(access, { Authorization: access.basicAuth });
  const session = valueOf(await login.call("POST", `${REST}/session`));
  if (typeof session !== "string")
    throw new VsphereProtocolError(`${client.server} answered the REST login without a session`);
  const rest = restCall(access, { "vmware-api-session-id": session });
  try {
    const ids = valueOf(await rest.call("GET", `${REST}/tagging/tag`));
    const tagIds = Array.isArray(ids) ? ids.filter((i): i is string => typeof i === "string") : [];
    const matching: string[] = [];
    for (const id of tagIds) {
      const tag = valueOf(await rest.call("GET", `${REST}/tagging/tag/id:${pathId(id)}`));
      if (typeof tag === "object" && tag !== null && "name" in tag && tag.name === tagName) matching.push(id);
    }
    if (matching.length === 0) {
      throw new SnapferryError(
        "not-found",
        `no tag named "${tagName}" on ${client.server}`,
        "Check the job's tag: it is the tag's name as vSphere shows it.",
      );
    }
    const vms = new Set<string>();
    for (const id of matching) {
      // The simulator wants a (JSON) body even for this action; vCenter takes one too.
      const action = `${REST}/tagging/tag-association/id:${pathId(id)}?~action=list-attached-objects`;
      const objects = valueOf(await rest.call("POST", action, {}));
      for (const o of Array.isArray(objects) ? objects : []) {
        if (
          typeof o === "object" &&
          o !== null &&
          "type" in o &&
          o.type === "VirtualMachine" &&
          "id" in o &&
          typeof o.id === "string"
        ) {
          vms.add(o.id);
        }
      }
    }
    return [...vms];
  } finally {
    await rest.call("DELETE", `${REST}/session`).catch(() => undefined);
  }
}

/** Tag ids are URNs ("urn:vmomi:InventoryServiceTag:…:GLOBAL"): kept as they are, anything odd escaped. */
function pathId(id: string): string {
  return /^[A-Za-z0-9:._-]+$/.test(id) ? id : encodeURIComponent(id);
}

function valueOf(answer: unknown): unknown {
  return typeof answer === "object" && answer !== null && "value" in answer ? answer.value : undefined;
}

function restCall(access: ReturnType<VimClient["restAccess"]>, headers: Record<string, string>): Rest {
  const where = `${access.host}:${access.port}`;
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = https.request(
          {
            agent: access.agent,
            host: access.host,
            port: access.port,
            method,
            path,
            timeout: TIMEOUT_MS,
            headers: {
              ...headers,
              Accept: "application/json",
              ...(payload ? { "Content-Type": "application/json" } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (c: Buffer) => {
              size += c.length;
              if (size > MAX_ANSWER)
                req.destroy(new VsphereProtocolError(`${where} sent an oversized REST answer`));
              else chunks.push(c);
            });
            res.on("end", () => {
              const status = res.statusCode ?? 0;
              if (status === 401 || status === 403) {
                reject(
                  new SnapferryError(
                    "vsphere-login",
                    `${where} refused the REST API login`,
                    "Check the user's password and privileges.",
                  ),
                );
                return;
              }
              if (status === 404) {
                reject(
                  new VsphereProtocolError(
                    `${where} has no REST API at ${path} (tags need a vCenter, not a standalone ESXi host)`,
                  ),
                );
                return;
              }
              if (status < 200 || status >= 300) {
                reject(new VsphereProtocolError(`${where} answered ${method} ${path} with HTTP ${status}`));
                return;
              }
              const text = Buffer.concat(chunks).toString("utf8");
              try {
                resolve(text === "" ? undefined : (JSON.parse(text) as unknown));
              } catch {
                reject(new VsphereProtocolError(`${where} sent a REST answer that is not JSON`));
              }
            });
          },
        );
        req.on("timeout", () =>
          req.destroy(
            new VsphereNetworkError(
              `${where} did not answer the REST API in time`,
              "Check the network.",
              "ETIMEDOUT",
            ),
          ),
        );
        req.on("error", (err) =>
          reject(
            err instanceof SnapferryError
              ? err
              : new VsphereNetworkError(
                  `cannot reach ${where}'s REST API: ${err.message}`,
                  "Check the network.",
                  undefined,
                  err,
                ),
          ),
        );
        req.end(payload);
      }),
  };
}
