/**
 * The Electron shell's pure parts, under plain Node (Electron's binary cannot run here): the app's
 * origin, the IPC sender policy, the window's web preferences, the CSP, the taskbar progress and
 * notifications, the tray menu; and the layering rules that keep electron out of everything else.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { APP_START_URL, isAppUrl, isOwnBlob } from "../../main/app/app-origin.js";
import { INDETERMINATE_BAR, NO_BAR, ProgressBoard } from "../../main/app/progress-board.js";
import { isTrustedSender } from "../../main/app/sender-policy.js";
import { trayMenu } from "../../main/app/tray-menu.js";
import { SECURE_WEB_PREFERENCES, mainWindowFrame } from "../../main/app/window-options.js";
import type { CatalogRun } from "../../main/catalog/catalog-api.js";
import { CONTENT_SECURITY_POLICY } from "../../main/common/content-security-policy.js";
import type { ProgressEvent } from "../../main/engines/progress.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function run(overrides: Partial<CatalogRun>): CatalogRun {
  return {
    id: "r1",
    jobId: null,
    kind: "backup",
    title: "Back up web01 to usb",
    status: "running",
    startedAt: "2026-11-27T10:00:00.000Z",
    finishedAt: null,
    bytesRead: 0,
    bytesStored: 0,
    restorePointId: null,
    repositoryId: "repo",
    error: null,
    ...overrides,
  };
}

function progress(done: number, total: number): ProgressEvent {
  return {
    operation: "backup",
    bytesTotal: total,
    bytesDone: done,
    bytesRead: done,
    bytesNew: 0,
    bytesStored: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    disk: null,
    final: false,
  };
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = "", ...values]) => [name, values]),
  );
}

describe("the app's origin and the IPC sender policy", () => {
  const appWindows = new Set([7]);

  it("knows the app's own pages and nothing else", () => {
    assert.equal(isAppUrl(APP_START_URL), true);
    assert.equal(isAppUrl("app://snapferry/assets/index.js"), true);
    for (const url of [
      "file:///opt/snapferry/dist/renderer/index.html",
      "app://evil/index.html",
      "app://snapferry.evil/index.html",
      "app://user:pass@snapferry/index.html",
      "http://127.0.0.1:8080/",
      "https://snapferry/",
      "javascript:alert(1)",
      "not a url",
      undefined,
    ]) {
      assert.equal(isAppUrl(url), false, String(url));
    }
  });

  it("lets through only the downloads the app's own pages make", () => {
    assert.equal(isOwnBlob("blob:app://snapferry/5f0c6e0a-8d4e-4d8e-9f1e-2b7f0c1d9a11"), true);
    for (const url of [
      "blob:app://snapferry.evil/5f0c6e0a",
      "blob:http://127.0.0.1:8080/5f0c6e0a",
      "https://example.com/malware.exe",
      "app://snapferry/index.html",
    ]) {
      assert.equal(isOwnBlob(url), false, url);
    }
  });

  it("answers only the top frame of the app's own window showing the app", () => {
    const trusted = { webContentsId: 7, frameUrl: APP_START_URL, topFrame: true };
    assert.equal(isTrustedSender(trusted, appWindows), true);
    assert.equal(isTrustedSender({ ...trusted, topFrame: false }, appWindows), false, "an iframe");
    assert.equal(isTrustedSender({ ...trusted, webContentsId: 8 }, appWindows), false, "another window");
    assert.equal(isTrustedSender({ ...trusted, frameUrl: "https://evil.example/" }, appWindows), false);
    assert.equal(
      isTrustedSender({ ...trusted, frameUrl: undefined }, appWindows),
      false,
      "a frame that is gone",
    );
    assert.equal(isTrustedSender(trusted, new Set()), false, "no window yet");
  });
});

describe("the window and its content policy", () => {
  it("isolates, sandboxes and keeps Node out of the renderer", () => {
    assert.equal(SECURE_WEB_PREFERENCES.contextIsolation, true);
    assert.equal(SECURE_WEB_PREFERENCES.sandbox, true);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegration, false);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegrationInWorker, false);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegrationInSubFrames, false);
    assert.equal(SECURE_WEB_PREFERENCES.webSecurity, true);
    assert.equal(SECURE_WEB_PREFERENCES.allowRunningInsecureContent, false);
    assert.equal(SECURE_WEB_PREFERENCES.webviewTag, false);
    assert.equal(mainWindowFrame("/icon.png").show, false, "shown only once painted");
  });

  it("writes the same preferences in window.ts, where TypeScript and the scanner check them", () => {
    const source = readFileSync(path.join(ROOT, "main", "app", "window.ts"), "utf8");
    assert.match(source, /\}\s+satisfies SecureWebPreferences/);
    for (const [key, value] of Object.entries(SECURE_WEB_PREFERENCES)) {
      assert.ok(source.includes(`${key}: ${JSON.stringify(value)}`), `window.ts sets ${key}`);
    }
  });

  it("allows only the app's own files: no inline script, no eval, no plugins, no framing", () => {
    const policy = directives(CONTENT_SECURITY_POLICY);
    assert.deepEqual(policy.get("default-src"), ["'self'"]);
    assert.deepEqual(policy.get("script-src"), ["'self'"]);
    assert.deepEqual(policy.get("object-src"), ["'none'"]);
    assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
    assert.deepEqual(policy.get("base-uri"), ["'none'"]);
    assert.ok(!CONTENT_SECURITY_POLICY.includes("unsafe"), "nothing unsafe-*");
  });

  it("agrees with the renderer's meta tag, which is no looser", () => {
    const html = readFileSync(path.join(ROOT, "renderer", "index.html"), "utf8");
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)?.[1];
    assert.ok(meta, "renderer/index.html has a CSP meta tag");
    assert.deepEqual(directives(meta).get("default-src"), ["'self'"]);
    assert.ok(!meta.includes("unsafe"));
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), "no inline script");
  });
});

describe("taskbar progress and notifications", () => {
  it("shows one bar for all running jobs and a notice when one ends", () => {
    const board = new ProgressBoard();
    assert.deepEqual(board.apply({ type: "run", run: run({ id: "a" }) }), { bar: INDETERMINATE_BAR });
    assert.deepEqual(board.apply({ type: "progress", runId: "a", progress: progress(25, 100) }), {
      bar: 0.25,
    });
    board.apply({ type: "run", run: run({ id: "b", kind: "restore", title: "Restore db01" }) });
    assert.deepEqual(board.apply({ type: "progress", runId: "b", progress: progress(75, 100) }), {
      bar: 0.5,
    });
    const failed = board.apply({
      type: "run",
      run: run({ id: "b", kind: "restore", title: "Restore db01", status: "failed", error: "disk full" }),
    });
    assert.deepEqual(failed, {
      bar: 0.25,
      notice: { title: "Restore failed", body: "Restore db01: disk full", failed: true },
    });
    const done = board.apply({ type: "run", run: run({ id: "a", status: "succeeded" }) });
    assert.deepEqual(done, {
      bar: NO_BAR,
      notice: { title: "Backup finished", body: "Back up web01 to usb", failed: false },
    });
    assert.equal(board.running, 0);
  });

  it("stays quiet about cancelled runs, log lines and runs it never saw start", () => {
    const board = new ProgressBoard();
    board.apply({ type: "run", run: run({ id: "a" }) });
    assert.deepEqual(board.apply({ type: "run", run: run({ id: "a", status: "cancelled" }) }), {
      bar: NO_BAR,
    });
    assert.equal(board.apply({ type: "run", run: run({ id: "zz", status: "failed" }) }), undefined);
    assert.equal(board.apply({ type: "progress", runId: "zz", progress: progress(1, 2) }), undefined);
    const line = { runId: "a", time: "2026-11-27T10:00:00Z", level: "info" as const, message: "m" };
    assert.equal(board.apply({ type: "log", line }), undefined);
  });
});

describe("the tray menu", () => {
  const labels = (items: ReturnType<typeof trayMenu>) =>
    items.map((i) => (i.type === "separator" ? "---" : `${i.label}${i.enabled ? "" : " (disabled)"}`));

  it("offers Back up now once a backup job exists, and says how the last run went", () => {
    const fresh = labels(trayMenu({ lastRun: undefined, hasBackupJob: false, running: 0 }));
    assert.deepEqual(fresh, [
      "Open Snapferry",
      "Back up now (disabled)",
      "---",
      "No job has run yet (disabled)",
      "---",
      "Quit Snapferry",
    ]);
    const last = run({ status: "failed", finishedAt: "2026-11-27T11:00:00.000Z" });
    const after = trayMenu({ lastRun: last, hasBackupJob: true, running: 0 });
    assert.equal(labels(after)[1], "Back up now");
    assert.match(labels(after)[3] ?? "", /^Last: Back up web01 to usb: failed \(.+\) \(disabled\)$/);
    assert.equal(
      labels(trayMenu({ lastRun: last, hasBackupJob: true, running: 2 }))[3],
      "2 jobs running (disabled)",
    );
    const actions = after.flatMap((i) => (i.type === "item" && i.action ? [i.action] : []));
    assert.deepEqual(actions, ["open", "backup-now", "quit"]);
  });
});

describe("the shell's layering", () => {
  const source = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
  const importsElectron = (text: string) => /from\s+["']electron["']|require\(["']electron["']\)/.test(text);

  it("keeps the pure modules of main/app free of electron, so they run under plain Node", () => {
    for (const file of [
      "app-origin",
      "app-paths",
      "sender-policy",
      "window-options",
      "progress-board",
      "tray-menu",
    ]) {
      assert.equal(importsElectron(source(`main/app/${file}.ts`)), false, file);
    }
  });

  it("never starts the loopback bridge from the Electron app, and imports electron only in main/app and preload", () => {
    for (const name of readdirSync(path.join(ROOT, "main", "app")).filter((n) => n.endsWith(".ts"))) {
      assert.doesNotMatch(source(`main/app/${name}`), /from\s+["']\.\.\/bridge\//, name);
    }
    for (const dir of ["main/bridge", "main/services", "renderer/src/api"]) {
      for (const name of readdirSync(path.join(ROOT, dir)).filter((n) => /\.tsx?$/.test(n))) {
        assert.equal(importsElectron(source(`${dir}/${name}`)), false, `${dir}/${name}`);
      }
    }
    assert.equal(importsElectron(source("preload/index.ts")), true);
  });
});
