/**
 * `snapferry vsphere inventory` end to end: the built CLI against vcsim, with the password in
 * SNAPFERRY_VSPHERE_PASSWORD and the configuration folder (accepted thumbprints) in a temporary
 * folder. Trust on first use, the tree as text and JSON, a blocked snapshot chain, logout, a wrong
 * password, and a changed certificate on the same host and port.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Inventory } from "../../main/sources/vsphere/inventory.js";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import { runCli, type CliResult } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startCbtProxy, type CbtProxy } from "./harness/cbt-proxy.js";
import { moXml, RawSoapClient } from "./harness/raw-soap.js";
import { child, children } from "./harness/xml-read.js";

const USER = "backup-operator";
const PASSWORD = "Tr0ub4dor&3 with spaces";
const BLOCKING_DEPTH = 31;

describe("snapferry vsphere inventory", () => {
  const config = makeTempDir("inventory-cli");
  let sim: Vcsim;
  let raw: RawSoapClient;
  let server: string;
  let thumbprint: string;
  let impostor: CbtProxy | undefined;
  let backend: Vcsim | undefined;

  const env = (password = PASSWORD): Record<string, string> => ({
    SNAPFERRY_CONFIG_DIR: config.dir,
    SNAPFERRY_VSPHERE_PASSWORD: password,
  });
  const inventory = (extra: string[] = [], password?: string): Promise<CliResult> =>
    runCli(["vsphere", "inventory", "--server", server, "--user", USER, ...extra], env(password));

  before(async () => {
    sim = await startVcsim({ username: USER, password: PASSWORD });
    server = `127.0.0.1:${sim.port}`;
    thumbprint = (await probeCertificate(sim.host, sim.port, 5000)).thumbprint;
    raw = new RawSoapClient(sim.url);
    await raw.login(USER, PASSWORD);
  });
  after(async () => {
    raw.close();
    await impostor?.stop();
    await backend?.stop();
    await sim.stop();
    config.cleanup();
  });

  async function sessionCount(): Promise<number> {
    const { sessionManager } = await raw.serviceContent();
    const answer = await raw.retrieveRaw(sessionManager, ["sessionList"]);
    const objects = child(child(answer.node, "returnval"), "objects");
    return children(child(child(objects, "propSet"), "val"), "UserSession").length;
  }

  it("refuses an unknown certificate and shows its thumbprint", async () => {
    const r = await inventory();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /not trusted yet/);
    assert.ok(r.stderr.includes(thumbprint), r.stderr);
    assert.ok(r.stderr.includes(`--accept-thumbprint ${thumbprint}`), r.stderr);
    assert.equal(r.stdout, "");
  });

  it("prints the tree once the thumbprint is accepted, remembers it, and logs out", async () => {
    const before = await sessionCount();
    // Thumbprints are accepted in any case, as people copy them from different tools.
    const r = await inventory(["--accept-thumbprint", thumbprint.toLowerCase()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", new RegExp(`^vCenter ${server} .*1 datacenter, 1 cluster, 4 hosts, 4 VMs`));
    for (const expected of [
      /^datacenter DC0$/,
      /^ {2}host\/$/,
      /^ {4}cluster DC0_C0$/,
      /^ {6}host DC0_C0_H0 \(connected, poweredOn\)$/,
      /^ {4}standalone host DC0_H0 \(connected, poweredOn\)$/,
      /^ {6}VM DC0_H0_VM0 \(poweredOn, tools not running, CBT off\)$/,
      /^ {8}\/DC0\/vm\/DC0_H0_VM0 · 1 CPU, 32 MB, bios, otherGuest · instance UUID [0-9a-f-]{36}$/,
      /^ {8}disk \d+ "disk-202-0": \[LocalDS_0\] DC0_H0_VM0\/disk1\.vmdk \(1\.00 MiB, thin, pvscsi 0:0\)$/,
      /^ {8}snapshots: no snapshots$/,
      /^ {4}LocalDS_0 \(OTHER, [\d.]+ GiB free of [\d.]+ GiB \(\d+%\)\)$/,
    ]) {
      assert.ok(
        lines.some((line) => expected.test(line)),
        `${expected.source} in:\n${r.stdout}`,
      );
    }
    const known = readFileSync(path.join(config.dir, "known-servers.json"), "utf8");
    assert.ok(known.includes(thumbprint), known);
    assert.equal(await sessionCount(), before, "the CLI logged out");
  });

  it("needs no flag on the next run, and --json gives one document", async () => {
    const r = await inventory(["--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 1, "one JSON document");
    const parsed = JSON.parse(r.stdout) as Inventory;
    assert.equal(parsed.server, server);
    assert.equal(parsed.counts.vms, 4);
    assert.deepEqual(
      parsed.vms.map((vm) => vm.path),
      ["/DC0/vm/DC0_C0_RP0_VM0", "/DC0/vm/DC0_C0_RP0_VM1", "/DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_H0_VM1"],
    );
    assert.equal(parsed.root.children[0]?.name, "DC0");
    assert.ok(!r.stdout.includes(PASSWORD));
  });

  it(`makes a chain ${BLOCKING_DEPTH} deep unmistakable: backups of that VM are blocked`, async () => {
    const vm = await raw.findByInventoryPath("DC0/vm/DC0_H0_VM1");
    for (let i = 1; i <= BLOCKING_DEPTH; i++) {
      await raw.runTask(
        "CreateSnapshot_Task",
        `${moXml("_this", vm)}<name>s${i}</name><memory>false</memory><quiesce>false</quiesce>`,
      );
    }
    const text = await inventory();
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    const start = lines.findIndex((l) => l.includes("VM DC0_H0_VM1 "));
    const block = lines.slice(
      start,
      lines.findIndex((l, i) => i > start && /^\s+(VM|datastores:)/.test(l)),
    );
    assert.ok(
      block.some((l) => /snapshots: 31 snapshots, chain depth 31, .*backup blocked/.test(l)),
      block.join("\n"),
    );
    assert.ok(
      block.some((l) =>
        /!! BACKUP BLOCKED: Backups of VM DC0_H0_VM1 are blocked: its snapshot chain is 31 deep/.test(l),
      ),
      block.join("\n"),
    );
    assert.ok(
      block.some((l) => /s31 \(depth 31, .*current/.test(l)),
      block.join("\n"),
    );

    const json = JSON.parse((await inventory(["--json"])).stdout) as Inventory;
    const health = json.vms.find((v) => v.name === "DC0_H0_VM1")?.chainHealth;
    assert.equal(health?.status, "blocked");
    assert.equal(health.depth, BLOCKING_DEPTH);
  });

  it("says so when the password is wrong", async () => {
    const r = await inventory([], "not the password");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /wrong user name or password/);
    assert.ok(!r.stderr.includes("not the password"));
  });

  it("exits 2 on a usage error", async () => {
    for (const args of [
      ["vsphere"],
      ["vsphere", "inventorize", "--server", server, "--user", USER],
      ["vsphere", "inventory", "--user", USER],
      ["vsphere", "inventory", "--server", `${server}/DC0`, "--user", USER],
      ["vsphere", "inventory", "--server", server, "--user", USER, "--bogus"],
    ]) {
      const r = await runCli(args, env());
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /usage|--server/);
    }
  });

  it("refuses a different certificate on the same host and port", async () => {
    const port = sim.port;
    await sim.stop();
    backend = await startVcsim({ username: USER, password: PASSWORD });
    impostor = await startCbtProxy(backend, { certificate: "fresh", port });
    assert.notEqual(impostor.thumbprint, thumbprint);
    const r = await inventory();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate of 127\.0\.0\.1:\d+ has changed/);
    assert.ok(r.stderr.includes(impostor.thumbprint), r.stderr);
    assert.deepEqual(impostor.stats.soapMethods, [], "nothing was sent to the impostor");
  });
});
