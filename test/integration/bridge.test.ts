/**
 * The loopback bridge over real HTTP, in front of the real app API and a real catalog: the token,
 * the cookie, the Host and Origin checks, a call, an event, the security headers; then Debian's
 * Chromium loads the bridge's URL and runs the real bridge client (and the built renderer, once
 * dist/renderer exists).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { startBridge, type Bridge } from "../../main/bridge/server.js";
import { cookieName } from "../../main/bridge/bridge-auth.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { CONTENT_SECURITY_POLICY } from "../../main/common/content-security-policy.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import { EventHub } from "../../main/services/app-events.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import type { AppEvent } from "../../preload/contract.js";
import { launchChromium } from "../support/chromium.js";
import { firstEvent, request } from "../support/http-client.js";
import { makeTempDir } from "../support/tmp.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUILT_RENDERER = path.join(ROOT, "dist", "renderer");

const LOG_EVENT: AppEvent = {
  type: "log",
  line: { runId: "run-1", time: "2026-11-27T10:00:00.000Z", level: "info", message: "hello from main" },
};

/** A page that uses the real bridge client (renderer/src/api/bridge-client.ts), bundled by Vite. */
async function buildSmokePage(dir: string): Promise<string> {
  const src = path.join(dir, "smoke-src");
  mkdirSync(src, { recursive: true });
  const client = path.join(ROOT, "renderer", "src", "api", "bridge-client.ts");
  writeFileSync(
    path.join(src, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'self'">` +
      `<title>bridge smoke</title><script type="module" src="./main.js"></script></head>` +
      `<body><pre id="out"></pre><ul id="events"></ul></body></html>`,
  );
  writeFileSync(
    path.join(src, "main.js"),
    `import { createBridgeClient } from ${JSON.stringify(client)};
const api = createBridgeClient();
const events = document.getElementById("events");
api.subscribe((event) => {
  const item = document.createElement("li");
  item.textContent = JSON.stringify(event);
  events.append(item);
});
api.call("app.info", {}).then((result) => {
  const out = document.getElementById("out");
  out.textContent = JSON.stringify(result);
  out.dataset.done = "yes";
});
`,
  );
  const outDir = path.join(dir, "smoke");
  await build({
    configFile: false,
    logLevel: "silent",
    root: src,
    base: "./",
    build: { outDir, emptyOutDir: true, modulePreload: false, minify: false },
  });
  return outDir;
}

describe("the loopback bridge", () => {
  const tmp = makeTempDir("bridge");
  const hub = new EventHub();
  let catalog: Catalog;
  let api: AppApi;
  let bridge: Bridge;
  let port = 0;
  let cookie = "";

  before(async () => {
    catalog = openCatalog(path.join(tmp.dir, "catalog.sqlite"));
    api = createAppApi({
      catalog,
      credentials: new MemoryCredentialStore(),
      events: hub.emit,
      door: "bridge",
    });
    bridge = await startBridge({ handle: api.handle, events: hub, staticDir: await buildSmokePage(tmp.dir) });
    port = bridge.port;
  });

  after(async () => {
    await bridge.close();
    await api.shutdown();
    catalog.close();
    tmp.cleanup();
  });

  const call = (body: unknown, headers: Record<string, string> = {}) =>
    request(port, {
      method: "POST",
      path: "/api/call",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("listens on 127.0.0.1 only and prints a token URL", () => {
    assert.match(bridge.loginUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  it("refuses every request without the token", async () => {
    assert.equal((await request(port, { path: "/" })).status, 401);
    assert.equal((await request(port, { path: "/api/events" })).status, 401);
    const refused = await call({ name: "app.info", input: {} });
    assert.equal(refused.status, 401);
    assert.ok(!refused.body.includes("door"));
    const wrongCookie = await call({ name: "app.info", input: {} }, { Cookie: `${cookieName(port)}=guess` });
    assert.equal(wrongCookie.status, 401);
    const wrongBearer = await call({ name: "app.info", input: {} }, { Authorization: "Bearer guess" });
    assert.equal(wrongBearer.status, 401);
    const wrongToken = await request(port, { path: "/?token=guess" });
    assert.equal(wrongToken.status, 403);
    assert.equal(wrongToken.headers["set-cookie"], undefined);
  });

  it("refuses a Host header that is not this server (DNS rebinding)", async () => {
    const auth = { Authorization: `Bearer ${bridge.token}` };
    for (const host of [
      "evil.example:" + port,
      "127.0.0.1",
      `127.0.0.1:${port + 1}`,
      `snapferry.localhost:${port}`,
    ]) {
      const response = await call({ name: "app.info", input: {} }, { ...auth, Host: host });
      assert.equal(response.status, 403, host);
    }
    const page = await request(port, {
      path: `/?token=${bridge.token}`,
      headers: { Host: `evil.example:${port}` },
    });
    assert.equal(page.status, 403);
    assert.equal(
      (await call({ name: "app.info", input: {} }, { ...auth, Host: `localhost:${port}` })).status,
      200,
    );
  });

  it("trades the token URL for an HttpOnly SameSite=Strict cookie and the clean URL", async () => {
    const response = await request(port, { path: `/?token=${bridge.token}` });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, "/");
    const [setCookie] = response.headers["set-cookie"] ?? [];
    assert.ok(setCookie);
    assert.match(setCookie, new RegExp(`^${cookieName(port)}=${bridge.token};`));
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    cookie = setCookie.split(";")[0] ?? "";
  });

  it("answers a call with the cookie, and refuses foreign origins and non-JSON posts", async () => {
    const response = await call({ name: "app.info", input: {} }, { Cookie: cookie, Origin: bridge.origin });
    assert.equal(response.status, 200);
    const result = JSON.parse(response.body) as { ok: boolean; value: { door: string } };
    assert.equal(result.ok, true);
    assert.equal(result.value.door, "bridge");

    const bad = JSON.parse(
      (await call({ name: "runs.list", input: { limit: "all" } }, { Cookie: cookie })).body,
    ) as {
      ok: boolean;
      error: { code: string };
    };
    assert.deepEqual([bad.ok, bad.error.code], [false, "usage"]);

    const foreign = await call(
      { name: "app.info", input: {} },
      { Cookie: cookie, Origin: "https://evil.example" },
    );
    assert.equal(foreign.status, 403);
    const form = await request(port, {
      method: "POST",
      path: "/api/call",
      headers: { Cookie: cookie, "Content-Type": "text/plain" },
      body: JSON.stringify({ name: "app.info", input: {} }),
    });
    assert.equal(form.status, 415, "a cross-site form or no-cors fetch cannot send application/json");
    const huge = await call(
      { name: "sources.addLocal", input: { path: "x".repeat(2 * 1024 * 1024) } },
      { Cookie: cookie },
    );
    assert.equal(huge.status, 413);
  });

  it("streams the app's events as Server-Sent Events", async () => {
    const received = await firstEvent(port, { Cookie: cookie }, () => hub.emit(LOG_EVENT));
    assert.equal(received.status, 200);
    assert.match(received.contentType ?? "", /^text\/event-stream/);
    assert.deepEqual(received.data, LOG_EVENT);
  });

  it("serves the UI with the strict CSP and nothing outside its folder", async () => {
    const page = await request(port, { path: "/", headers: { Cookie: cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers["content-type"] ?? "", /^text\/html/);
    assert.equal(page.headers["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /^default-src 'self'/);
    assert.equal(page.headers["x-content-type-options"], "nosniff");
    assert.equal(page.headers["x-frame-options"], "DENY");
    for (const probe of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/..%2fpackage.json",
      "/%00",
      "/.hidden",
    ]) {
      assert.equal((await request(port, { path: probe, headers: { Cookie: cookie } })).status, 404, probe);
    }
  });

  it("runs the bridge client in Chromium: a call and an event reach the page", async () => {
    const context = await launchChromium(path.join(tmp.dir, "chromium-profile"));
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => (m.type() === "error" ? problems.push(m.text()) : undefined));
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(bridge.loginUrl);
      assert.equal(new URL(page.url()).search, "", "the token left the address bar");
      await page.waitForSelector("#out[data-done=yes]", { timeout: 15_000 });
      const result = JSON.parse((await page.textContent("#out")) ?? "{}") as {
        ok: boolean;
        value: { door: string };
      };
      assert.deepEqual([result.ok, result.value.door], [true, "bridge"]);
      // The subscription opened with the page; wait until the bridge has it, then send.
      for (let i = 0; hub.size === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
      hub.emit(LOG_EVENT);
      await page.waitForSelector("#events li", { timeout: 10_000 });
      assert.deepEqual(JSON.parse((await page.textContent("#events li")) ?? "null"), LOG_EVENT);
      const cookies = await context.cookies(bridge.origin);
      assert.equal(cookies.find((c) => c.name === cookieName(port))?.httpOnly, true);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it(
    "serves the built renderer, whose app shell renders in Chromium",
    {
      skip:
        !existsSync(path.join(BUILT_RENDERER, "index.html")) &&
        "dist/renderer is not built yet (npm run build)",
    },
    async () => {
      let rendererCalls = 0;
      const rendererBridge = await startBridge({
        handle: (name, input) => {
          rendererCalls++;
          return api.handle(name, input);
        },
        events: hub,
        staticDir: BUILT_RENDERER,
      });
      const context = await launchChromium(path.join(tmp.dir, "chromium-renderer"));
      try {
        const page = await context.newPage();
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        page.on("console", (m) => (m.type() === "error" ? problems.push(m.text()) : undefined));
        await page.goto(rendererBridge.loginUrl);
        await page.locator("#root > *").first().waitFor({ timeout: 15_000 });
        assert.ok(await page.getByRole("navigation").count(), "the app frame has its navigation");
        for (let i = 0; rendererCalls === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(
          rendererCalls > 0,
          "the renderer called main over the bridge (renderer/src/api/index.ts picks the bridge client in a browser)",
        );
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
        await rendererBridge.close();
      }
    },
  );
});

describe("npm start without Electron's binary", () => {
  it("serves the app over the bridge and prints the URL with its token, as Jupyter does", async () => {
    const tmp = makeTempDir("npm-start");
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "dist", "main", "bridge", "start.js"), "--bridge"],
      {
        env: { ...process.env, SNAPFERRY_DATA_DIR: tmp.dir, SNAPFERRY_CONFIG_DIR: tmp.dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          const found = /^Snapferry is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(stdout);
          if (found?.[1]) resolve(found[1]);
        });
        child.on("exit", (code) => reject(new Error(`start.js exited ${code}: ${stdout}${stderr}`)));
      });
      const { port, searchParams } = new URL(url);
      const login = await request(Number(port), { path: `/?token=${searchParams.get("token") ?? ""}` });
      assert.equal(login.status, 302);
      const info = await request(Number(port), {
        method: "POST",
        path: "/api/call",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${searchParams.get("token") ?? ""}`,
        },
        body: JSON.stringify({ name: "app.info", input: {} }),
      });
      assert.equal((JSON.parse(info.body) as { value: { door: string } }).value.door, "bridge");
      assert.ok(existsSync(path.join(tmp.dir, "catalog.sqlite")), "the catalog is in SNAPFERRY_DATA_DIR");
      child.kill("SIGINT");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, stderr);
    } finally {
      child.kill("SIGKILL");
      tmp.cleanup();
    }
  });
});
