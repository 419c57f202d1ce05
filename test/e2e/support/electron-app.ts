/**
 * The real Electron app under Playwright's `_electron`, used instead of the loopback bridge wherever
 * Electron's binary was downloaded (never on these machines: it cannot be). It runs the built app
 * (`npm run build`: dist/main/app, dist/preload, dist/renderer) from the project folder, so the
 * specs exercise the sandboxed window, the preload bridge and IPC exactly as users do.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { _electron, type ElectronApplication } from "playwright-core";

const PROJECT_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BUILT = ["dist/main/app/main.js", "dist/preload/index.cjs", "dist/renderer/index.html"];

export async function launchElectronApp(
  binary: string,
  env: NodeJS.ProcessEnv,
): Promise<ElectronApplication> {
  const missing = BUILT.filter((file) => !existsSync(path.join(PROJECT_ROOT, file)));
  if (missing.length > 0) {
    throw new Error(`the app is not built (${missing.join(", ")} missing): run \`npm run build\` first`);
  }
  const clean = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return _electron.launch({
    executablePath: binary,
    args: [PROJECT_ROOT],
    cwd: PROJECT_ROOT,
    env: clean,
    timeout: 60_000,
  });
}
