/**
 * vcsim, govmomi's vCenter/ESXi simulator, for the vSphere tests. Debian ships the simulator as Go
 * source only, so the first test that needs it builds test/vsphere/vcsim/main.go (about 30 s),
 * caches the binary under tmp/vcsim/ keyed by the source's hash, and every test starts its own
 * simulator on 127.0.0.1 with a random port and its datastores under a temporary folder.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "./tmp.js";

const PROJECT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN_GO = path.join(PROJECT, "test/vsphere/vcsim/main.go");
const GOVMOMI = "/usr/share/gocode/src/github.com/vmware/govmomi/simulator";
const CACHE = path.join(PROJECT, "tmp/vcsim");

export interface VcsimOptions {
  /** A standalone ESXi host ("ha-datacenter") instead of the default vCenter model. */
  esx?: boolean;
  /** When set, the only accepted credentials; otherwise any non-empty user and password. */
  username?: string;
  password?: string;
  /** PEM files for the server's certificate; Go's built-in test certificate otherwise. */
  certFile?: string;
  keyFile?: string;
  /** Model size (vCenter model unless noted), each passed only when set: a large site for scale tests. */
  size?: VcsimSize;
}

export interface VcsimSize {
  datacenters?: number;
  clustersPerDatacenter?: number;
  hostsPerCluster?: number;
  standaloneHostsPerDatacenter?: number;
  /** VMs per resource pool and per standalone host (both models). */
  vmsPerHost?: number;
  /** Child resource pools per cluster. */
  poolsPerCluster?: number;
  /** Datacenters placed inside a folder, with their own host/vm/datastore/network sub-folders. */
  folders?: number;
}

const SIZE_FLAGS: Record<keyof VcsimSize, string> = {
  datacenters: "-dc",
  clustersPerDatacenter: "-cluster",
  hostsPerCluster: "-cluster-host",
  standaloneHostsPerDatacenter: "-host",
  vmsPerHost: "-vm",
  poolsPerCluster: "-pool",
  folders: "-folder",
};

export interface Vcsim {
  /** https://127.0.0.1:PORT/sdk */
  url: string;
  host: string;
  port: number;
  /** The folder under which the simulator keeps its datastores (one sub-folder per datastore). */
  storageDir: string;
  /** The local folder behind a datastore, by its name ("LocalDS_0"). */
  datastoreDir(name?: string): string;
  stop(): Promise<void>;
}

function requireGoAndGovmomi(): void {
  const go = spawnSync("sh", ["-c", "command -v go"]);
  if (go.status !== 0 || !existsSync(GOVMOMI)) {
    throw new Error(
      "the vSphere tests need vcsim, built here from Debian's Go sources, and `go` or govmomi is missing: " +
        "apt-get install golang-go golang-github-vmware-govmomi-dev (.ci/run installs them)",
    );
  }
}

/** Builds the simulator once per version of main.go; concurrent test files share the result. */
export function vcsimBinary(): string {
  requireGoAndGovmomi();
  const hash = createHash("sha256").update(readFileSync(MAIN_GO)).digest("hex").slice(0, 16);
  const binary = path.join(CACHE, `vcsim-${hash}`);
  if (existsSync(binary)) return binary;

  const work = path.join(CACHE, `build-${process.pid}-${Date.now()}`);
  const pkg = path.join(work, "src/snapferry-vcsim");
  mkdirSync(pkg, { recursive: true });
  copyFileSync(MAIN_GO, path.join(pkg, "main.go"));
  const built = path.join(work, "vcsim");
  const r = spawnSync("go", ["build", "-o", built, "snapferry-vcsim"], {
    cwd: work,
    env: {
      ...process.env,
      GOPATH: `${work}:/usr/share/gocode`,
      GO111MODULE: "off",
      GOPROXY: "off",
      GOCACHE: path.join(CACHE, "go-cache"),
    },
    encoding: "utf8",
  });
  if (r.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`building vcsim failed:\n${r.stderr}`);
  }
  renameSync(built, binary); // atomic: a concurrent build just replaces it with the same program
  rmSync(work, { recursive: true, force: true });
  return binary;
}

function firstLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) throw new Error("vcsim has no stdout");
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`vcsim did not start within 30 s: ${stderr()}`)), 30_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited with code ${code ?? "?"} before listening: ${stderr()}`));
    });
  });
}

export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  const binary = vcsimBinary();
  const temp = makeTempDir("vcsim");
  const args: string[] = ["-l", "127.0.0.1:0"];
  if (options.esx) args.push("-esx");
  if (options.username !== undefined) args.push("-username", options.username);
  if (options.password !== undefined) args.push("-password", options.password);
  if (options.certFile && options.keyFile)
    args.push("-tlscert", options.certFile, "-tlskey", options.keyFile);
  for (const [key, flag] of Object.entries(SIZE_FLAGS)) {
    const value = options.size?.[key as keyof VcsimSize];
    if (value !== undefined) args.push(flag, String(value));
  }

  const child = spawn(binary, args, {
    env: { ...process.env, TMPDIR: temp.dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const line = await firstLine(child, () => stderr).catch((err: unknown) => {
    child.kill("SIGKILL");
    temp.cleanup();
    throw err;
  });
  const url = new URL((JSON.parse(line) as { url: string }).url);

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    temp.cleanup();
  };
  const datastoreDir = (name = "LocalDS_0"): string => {
    const found = readdirSync(temp.dir).find((d) => d.startsWith("govcsim-") && d.includes(`-${name}-`));
    if (!found) throw new Error(`vcsim has no datastore ${name} under ${temp.dir}`);
    return path.join(temp.dir, found);
  };
  return {
    url: url.toString(),
    host: url.hostname,
    port: Number(url.port),
    storageDir: temp.dir,
    datastoreDir,
    stop,
  };
}
