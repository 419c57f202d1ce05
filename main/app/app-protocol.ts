/**
 * The app:// scheme the renderer is loaded from (app-origin.ts says why not file://). Registered as
 * privileged before the app is ready; served from the built renderer with the app's security
 * headers, read-only, GET only, nothing outside dist/renderer.
 */
import { protocol, type Session } from "electron";
import { readFile } from "node:fs/promises";
import { SECURITY_HEADERS } from "../common/content-security-policy.js";
import { contentType, resolveStatic } from "../common/static-path.js";
import { APP_HOST, APP_SCHEME } from "./app-origin.js";

/** Must run before the app's "ready" event. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false },
    },
  ]);
}

export function serveRenderer(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file =
      url.host === APP_HOST && request.method === "GET"
        ? await resolveStatic(rendererDir, url.pathname)
        : undefined;
    if (!file) return new Response("not found", { status: 404, headers: SECURITY_HEADERS });
    const body = new Uint8Array(await readFile(file));
    return new Response(body, { headers: { ...SECURITY_HEADERS, "Content-Type": contentType(file) } });
  });
}
