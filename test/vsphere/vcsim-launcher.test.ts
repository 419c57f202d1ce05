import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { startVcsim } from "../support/vcsim.js";

test("vcsim builds, listens on loopback and keeps its datastores in a temporary folder", async () => {
  const sim = await startVcsim({ username: "admin", password: "secret" });
  try {
    assert.equal(sim.host, "127.0.0.1");
    assert.ok(sim.port > 0);
    const vmFolder = path.join(sim.datastoreDir(), "DC0_H0_VM0");
    assert.ok(existsSync(path.join(vmFolder, "disk1-flat.vmdk")), "the simulated VM has a flat disk file");
  } finally {
    await sim.stop();
  }
  assert.ok(!existsSync(sim.storageDir), "stopping removes the datastores");
});
