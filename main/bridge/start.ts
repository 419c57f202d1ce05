/**
 * `npm start`: the Electron app when its binary is installed; otherwise (as on machines where it
 * cannot be downloaded) the same UI and services over the loopback bridge, with the address and
 * its token printed as Jupyter does, so a newcomer still sees the app. `--bridge` forces the
 * bridge. Plain Node: nothing here imports electron.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAppApi } from "../services/app-api.js";
import { appDataDir, openAppCatalog } from "../services/app-data-dir.js";
import { EventHub } from "../services/app-events.js";
import { KeychainCredentialStore } from "../sources/vsphere/keychain-credential-store.js";
import { electronBinary } from "./electron-binary.js";
import { startBridge } from "./server.js";

const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PORT_VARIABLE = "SNAPFERRY_BRIDGE_PORT";

function launchElectron(binary: string): void {
  const child = spawn(binary, [PROJECT_ROOT], { stdio: "inherit" });
  child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => child.kill(s));
}

async function serveBridge(reason: string): Promise<void> {
  const dataDir = appDataDir();
  const catalog = await openAppCatalog(dataDir);
  const hub = new EventHub();
  const api = createAppApi({
    catalog,
    credentials: new KeychainCredentialStore(),
    events: hub.emit,
    door: "bridge",
    // The UI in a browser is the app running: its jobs run on schedule too.
    background: process.env.SNAPFERRY_NO_BACKGROUND !== "1",
  });
  const staticDir = path.join(PROJECT_ROOT, "dist", "renderer");
  if (!existsSync(path.join(staticDir, "index.html"))) {
    console.error(`The UI is not built (${staticDir} has no index.html): run \`npm run build\` first.`);
  }
  const port = Number(process.env[PORT_VARIABLE] ?? 0);
  const bridge = await startBridge({ handle: api.handle, events: hub, staticDir, port });
  console.error(reason);
  console.error(
    `Catalog: ${dataDir}. Only this machine can connect; the address carries a one-time access token.`,
  );
  console.log(`Snapferry is running at ${bridge.loginUrl}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.error("Stopping: running jobs are cancelled and leave their repositories consistent…");
    void Promise.allSettled([bridge.close(), api.shutdown()]).then(() => {
      catalog.close();
      process.exit(0);
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const binary = process.argv.includes("--bridge") ? undefined : electronBinary();
if (binary) {
  launchElectron(binary);
} else {
  const reason = process.argv.includes("--bridge")
    ? "Serving the UI over the loopback bridge (--bridge)."
    : "Electron's binary is not installed here, so Snapferry serves the same UI over the loopback bridge: open the address below in a browser on this machine.";
  serveBridge(reason).catch((err: unknown) => {
    console.error(`snapferry: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
