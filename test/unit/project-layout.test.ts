import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { TOOL_VERSION } from "../../main/common/version.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("project layout", () => {
  it("imports electron nowhere in main/ outside main/app/", () => {
    const offenders = sources(path.join(root, "main"))
      .filter((f) => !f.includes(`${path.sep}app${path.sep}`))
      .filter((f) => /from\s+["']electron["']|require\(["']electron["']\)/.test(readFileSync(f, "utf8")));
    assert.deepEqual(offenders, []);
  });

  it("keeps the tool version recorded in restore points equal to package.json's", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    assert.equal(TOOL_VERSION, pkg.version);
  });

  it("has an electron-builder config with every target and the native-module settings", () => {
    const config = parse(readFileSync(path.join(root, "electron-builder.yml"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.equal(config.appId, "com.snapferry.app");
    assert.deepEqual((config.linux as { target: string[] }).target, ["AppImage", "deb"]);
    assert.deepEqual((config.win as { target: string[] }).target, ["nsis"]);
    assert.deepEqual((config.mac as { target: string[] }).target, ["dmg"]);
    assert.equal(config.npmRebuild, true);
    assert.ok((config.asarUnpack as string[]).includes("**/*.node"));
  });
});
