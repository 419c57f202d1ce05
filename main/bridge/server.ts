/**
 * The loopback bridge: the same app API and UI that Electron serves, over HTTP on 127.0.0.1, so the
 * renderer runs in an ordinary browser (end-to-end tests in Chromium, `npm start` where Electron's
 * binary is missing). It serves the built renderer, `POST /api/call` ({ name, input } → ApiResult)
 * and `GET /api/events` (Server-Sent Events), each behind the per-run token (bridge-auth.ts). The
 * Electron app never starts it.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiResult } from "../../preload/contract.js";
import { SECURITY_HEADERS } from "../common/content-security-policy.js";
import type { EventHub } from "../services/app-events.js";
import {
  hostAllowed,
  newToken,
  originAllowed,
  presentedToken,
  sameToken,
  sessionCookie,
} from "./bridge-auth.js";
import { openEventStream } from "./event-stream.js";
import { resolveStatic } from "../common/static-path.js";
import { sendFile } from "./static-files.js";

export const CALL_PATH = "/api/call";
export const EVENTS_PATH = "/api/events";
const MAX_BODY_BYTES = 1024 * 1024;

export interface BridgeOptions {
  /** The app API's door entry (AppApi.handle): untrusted name and input in, ApiResult out. */
  handle: (name: unknown, input: unknown) => Promise<ApiResult<unknown>>;
  events: EventHub;
  /** The built renderer (dist/renderer), or any folder with an index.html. */
  staticDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  token?: string;
  /** Where unexpected failures of the server itself are reported. */
  log?: (message: string) => void;
}

export interface Bridge {
  port: number;
  token: string;
  /** The address without the token. */
  origin: string;
  /** What to open in a browser: the address with `?token=`, as the console prints it. */
  loginUrl: string;
  close(): Promise<void>;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  if (process.versions.electron !== undefined) {
    throw new Error("the loopback bridge is for browsers and tests; the Electron app never starts it");
  }
  const token = options.token ?? newToken();
  const log = options.log ?? ((message: string) => console.error(message));
  let port = 0;
  const server = http.createServer((req, res) => {
    route(req, res, { ...options, token, port }).catch((err: unknown) => {
      log(
        `bridge: ${req.method ?? "?"} ${req.url ?? "?"} failed: ${err instanceof Error ? err.stack : String(err)}`,
      );
      if (!res.headersSent) plain(res, 500, "internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    token,
    origin,
    loginUrl: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams never end on their own.
        server.closeAllConnections();
      }),
  };
}

interface RouteContext extends BridgeOptions {
  token: string;
  port: number;
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  if (!hostAllowed(req.headers.host, ctx.port)) {
    return plain(res, 403, "this server answers only to 127.0.0.1 and localhost");
  }
  const url = new URL(req.url ?? "/", `http://127.0.0.1:${ctx.port}`);
  const method = req.method ?? "GET";
  const offered = url.searchParams.get("token");
  if (offered !== null && (method === "GET" || method === "HEAD")) return login(res, url, offered, ctx);
  if (!sameToken(presentedToken(req.headers, ctx.port), ctx.token)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="snapferry"');
    return plain(
      res,
      401,
      "open the address Snapferry printed when it started (it carries the access token)",
    );
  }
  if (url.pathname === CALL_PATH) return call(req, res, ctx, method);
  if (url.pathname === EVENTS_PATH && method === "GET") return openEventStream(req, res, ctx.events);
  if (method !== "GET" && method !== "HEAD") return plain(res, 405, "method not allowed");
  const file = await resolveStatic(ctx.staticDir, url.pathname);
  if (!file && url.pathname === "/favicon.ico") {
    // Browsers ask for it whatever the page says; an empty answer keeps their consoles clean.
    res.writeHead(204, SECURITY_HEADERS);
    return void res.end();
  }
  if (!file) return plain(res, 404, "not found");
  await sendFile(res, file, method);
}

/** The token URL: a session cookie for this origin, then the same address without the token. */
function login(res: ServerResponse, url: URL, offered: string, ctx: RouteContext): void {
  if (!sameToken(offered, ctx.token))
    return plain(res, 403, "this access token is not valid (Snapferry restarted?)");
  url.searchParams.delete("token");
  res.writeHead(302, {
    ...SECURITY_HEADERS,
    "Set-Cookie": sessionCookie(ctx.port, ctx.token),
    Location: `${url.pathname}${url.search}`,
    "Cache-Control": "no-store",
  });
  res.end();
}

async function call(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  method: string,
): Promise<void> {
  if (method !== "POST") return plain(res, 405, "use POST");
  if (!originAllowed(req.headers.origin, ctx.port)) return plain(res, 403, "cross-origin calls are refused");
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    return plain(res, 415, "send application/json");
  }
  const body = await readBody(req);
  if (body === undefined) return plain(res, 413, "request too large");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return json(res, 400, { ok: false, error: { code: "usage", message: "the request is not valid JSON" } });
  }
  const { name, input } =
    typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  json(res, 200, await ctx.handle(name, input));
}

/** The body as text, or undefined past the size limit (the rest is drained unread). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString("utf8") : undefined));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    "Cache-Control": "no-store",
  });
  res.end(body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
  });
  res.end(`${text}\n`);
}
