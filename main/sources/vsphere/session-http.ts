/**
 * Plain HTTPS requests beside the SOAP endpoint (the datastore's /folder for disk reads and
 * uploads), through the same pinned agent and with the session cookie. The answer is returned as a
 * stream: a disk is never held in memory.
 */
import https from "node:https";
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PinnedAgent } from "./pinned-tls.js";
import { explainRequestError, USER_AGENT } from "./soap-transport.js";
import { VsphereTimeoutError } from "./vsphere-errors.js";
import { serverLabel } from "./network-errors.js";

export interface HttpRequestOptions {
  headers?: OutgoingHttpHeaders;
  /** A Buffer is sent with its length; a stream is piped (set Content-Length in headers when known). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Inactivity bound on the socket, while sending and while the answer streams in. */
  idleTimeoutMs?: number;
}

export interface SessionHttpRequest extends HttpRequestOptions {
  agent: PinnedAgent;
  method: string;
  pathAndQuery: string;
  cookie: string | undefined;
  idleTimeoutMs: number;
}

/** Resolves with the response as soon as its headers arrive; the caller reads (or discards) the body. */
export function sendHttp(request: SessionHttpRequest): Promise<IncomingMessage> {
  const { agent, method, pathAndQuery, body } = request;
  const { host, port } = agent.server;
  const what = { agent, method: `${method} ${pathAndQuery}` };
  return new Promise((resolve, reject) => {
    const req = https.request({
      agent,
      host,
      port,
      method,
      path: pathAndQuery,
      headers: {
        "User-Agent": USER_AGENT,
        ...(Buffer.isBuffer(body) ? { "Content-Length": body.length } : {}),
        ...request.headers,
        ...(request.cookie ? { Cookie: request.cookie } : {}),
      },
      signal: request.signal,
    });
    req.setTimeout(request.idleTimeoutMs, () => req.destroy(idleTimeout(request)));
    req.on("error", (err) => reject(explainRequestError(err, what)));
    req.on("response", resolve);
    if (body instanceof Readable) {
      pipeline(body, req).catch((err: unknown) => req.destroy(explainRequestError(err, what)));
    } else {
      req.end(body);
    }
  });
}

function idleTimeout(request: SessionHttpRequest): VsphereTimeoutError {
  const { host, port } = request.agent.server;
  return new VsphereTimeoutError(
    `${serverLabel(host, port)} went silent for ${Math.round(request.idleTimeoutMs / 1000)} s during ` +
      `${request.method} ${request.pathAndQuery.split("?")[0] ?? ""}`,
    "The host may be overloaded or the network cut; the transfer resumes from its last checkpoint when run again.",
  );
}
