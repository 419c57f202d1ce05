/**
 * electron-builder.yml, checked as far as can be without Electron's binary: against electron-builder's
 * own JSON schema (app-builder-lib/scheme.json), and for what this app needs: every target, the
 * native addons unpacked from the asar, only the built app shipped, icons that exist.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { SchemaChecker } from "../support/json-schema-check.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NATIVE_PACKAGES = [
  "better-sqlite3",
  "zstd-napi",
  "@napi-rs/keyring-linux-x64-gnu",
  "snapferry-seek-data",
];

type Config = Record<string, unknown> & { files: string[]; asarUnpack: string[] };

function loadConfig(): Config {
  return parse(readFileSync(path.join(ROOT, "electron-builder.yml"), "utf8")) as Config;
}

const checker = new SchemaChecker(
  JSON.parse(
    readFileSync(path.join(ROOT, "node_modules", "app-builder-lib", "scheme.json"), "utf8"),
  ) as Record<string, unknown>,
);

/** electron-builder's file patterns: in order, a match includes, a "!" match excludes again. */
function ships(config: Config, file: string): boolean {
  let included = false;
  for (const pattern of config.files) {
    if (pattern.startsWith("!")) {
      if (path.matchesGlob(file, pattern.slice(1))) included = false;
    } else if (path.matchesGlob(file, pattern)) included = true;
  }
  return included;
}

function nodeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return nodeFiles(p);
    return p.endsWith(".node") ? [p] : [];
  });
}

function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG", `${file} is a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("electron-builder.yml", () => {
  const config = loadConfig();

  it("conforms to electron-builder's own schema", () => {
    assert.deepEqual(checker.check(config), []);
  });

  it("is checked by a schema check that does catch mistakes", () => {
    const misspelt = checker.check({ ...config, npmRebuilt: true });
    assert.ok(
      misspelt.some((e) => e.includes('unknown property "npmRebuilt"')),
      misspelt.join("\n"),
    );
    const badTarget = checker.check({ ...config, nsis: { oneClick: "no" } });
    assert.ok(
      badTarget.some((e) => e.startsWith("$.nsis")),
      badTarget.join("\n"),
    );
    const badLinux = checker.check({ ...config, linux: { target: 42, icon: 7 } });
    assert.ok(
      badLinux.some((e) => e.startsWith("$.linux")),
      badLinux.join("\n"),
    );
  });

  it("builds AppImage and deb, NSIS and dmg, with the app's identity", () => {
    assert.equal(config.appId, "com.snapferry.app");
    assert.equal(config.productName, "Snapferry");
    assert.deepEqual((config.linux as { target: string[] }).target, ["AppImage", "deb"]);
    assert.deepEqual((config.win as { target: string[] }).target, ["nsis"]);
    assert.deepEqual((config.mac as { target: string[] }).target, ["dmg"]);
    assert.equal(config.npmRebuild, true, "native addons are rebuilt for Electron's ABI");
  });

  it("unpacks every native addon and the worker scripts from the asar", () => {
    const matches = (file: string): boolean => config.asarUnpack.some((glob) => path.matchesGlob(file, glob));
    for (const pkg of NATIVE_PACKAGES) {
      const dir = path.join(ROOT, "node_modules", pkg);
      const addons = nodeFiles(dir).map((f) => path.relative(ROOT, f).split(path.sep).join("/"));
      assert.ok(addons.length > 0, `${pkg} has a built addon`);
      for (const addon of addons) assert.ok(matches(addon), `${addon} is unpacked`);
      assert.ok(
        matches(`node_modules/${pkg}/package.json`),
        `${pkg} is unpacked whole (its loader beside its addon)`,
      );
    }
    assert.ok(matches("dist/main/workers/chunk-worker.js"));
  });

  it("ships the built app and nothing of the tests, benchmarks or source maps", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main?: string };
    assert.equal(pkg.main, "dist/main/app/main.js");
    assert.ok(existsSync(path.join(ROOT, "main", "app", "main.ts")), "the entry's source exists");
    for (const file of [
      pkg.main,
      "package.json",
      "dist/main/services/app-api.js",
      "dist/main/workers/chunk-worker.js",
      "dist/preload/index.cjs",
      "dist/renderer/index.html",
      "dist/renderer/assets/index-abc123.js",
      "assets/icon.png",
    ]) {
      assert.ok(ships(config, file), `${file} ships`);
    }
    for (const file of [
      "dist/test/unit/project-layout.test.js",
      "dist/test/support/cli.js",
      "dist/bench/run.js",
      "dist/.ci/security/scan.js",
      "dist/main/demo/run-demo.js",
      "dist/main/services/app-api.js.map",
      "dist/preload/index.js",
      "main/app/main.ts",
      "test/integration/bridge.test.ts",
      "tmp/anything",
    ]) {
      assert.ok(!ships(config, file), `${file} stays out`);
    }
  });

  it("has icons that exist and are large enough for every platform", () => {
    const icons = [config.linux, config.win, config.mac].map((p) => (p as { icon: string }).icon);
    for (const icon of new Set(icons)) {
      const { width, height } = pngSize(path.join(ROOT, icon));
      // macOS's icns needs 512×512; Windows' ico takes 256×256 from it.
      assert.ok(width >= 512 && height >= 512, `${icon} is ${width}×${height}`);
    }
    assert.ok(ships(config, "assets/icon.png"), "the tray's icon ships too");
  });
});
