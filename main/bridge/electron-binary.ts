/**
 * Where Electron's binary is, if it was downloaded. Requiring the `electron` package would answer
 * the same question but, in Electron 45, tries to download the binary when it is missing: on an
 * offline machine that fails slowly and noisily. This reads what its installer wrote instead.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export function electronBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve("electron/package.json"));
  } catch {
    return undefined;
  }
  const pathFile = path.join(packageDir, "path.txt");
  if (!existsSync(pathFile)) return undefined;
  const executable = readFileSync(pathFile, "utf8").trim();
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? path.join(override, executable || "electron")
    : path.join(packageDir, "dist", executable);
  return executable !== "" && existsSync(binary) ? binary : undefined;
}
