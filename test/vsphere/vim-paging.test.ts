/**
 * Paging through the property collector. The vcsim Debian ships ignores maxObjects and never
 * returns a token, so this test puts test/support/paging-proxy.ts in front of it: it cuts
 * RetrievePropertiesEx answers into pages of maxObjects and answers ContinueRetrievePropertiesEx
 * and CancelRetrievePropertiesEx itself, the way vCenter does, and records which methods it saw.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { retrieveFromContainer } from "../../main/sources/vsphere/property-collector.js";
import { VimClient } from "../../main/sources/vsphere/vim-client.js";
import { VsphereFaultError } from "../../main/sources/vsphere/vsphere-errors.js";
import { startPagingProxy, type PagingProxy } from "../support/paging-proxy.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";

describe("property collector paging (through a paging proxy in front of vcsim)", () => {
  let sim: Vcsim;
  let proxy: PagingProxy;
  let client: VimClient;
  before(async () => {
    sim = await startVcsim();
    proxy = await startPagingProxy(sim);
    const { host, port, thumbprint } = proxy;
    client = await VimClient.connect({ host, port, thumbprint, username: "u", password: "p" });
  });
  after(async () => {
    await client.close();
    await proxy.close();
    await sim.stop();
  });

  it("follows ContinueRetrievePropertiesEx until no token is left, then destroys the view", async () => {
    proxy.methods.length = 0;
    const vms = await retrieveFromContainer(client, {
      container: client.serviceContent.rootFolder,
      types: { VirtualMachine: ["name"] },
      recursive: true,
      pageSize: 1,
    });
    assert.deepEqual(vms.map((o) => o.props.get("name")?.text).sort(), [
      "DC0_C0_RP0_VM0",
      "DC0_C0_RP0_VM1",
      "DC0_H0_VM0",
      "DC0_H0_VM1",
    ]);
    assert.deepEqual(proxy.methods, [
      "CreateContainerView",
      "RetrievePropertiesEx",
      "ContinueRetrievePropertiesEx",
      "ContinueRetrievePropertiesEx",
      "ContinueRetrievePropertiesEx",
      "DestroyView",
    ]);
  });

  it("cancels an abandoned paging and still destroys the view", async () => {
    proxy.methods.length = 0;
    proxy.failContinue = true;
    try {
      await assert.rejects(
        retrieveFromContainer(client, {
          container: client.serviceContent.rootFolder,
          types: { VirtualMachine: ["name"] },
          recursive: true,
          pageSize: 2,
        }),
        (err: unknown) => err instanceof VsphereFaultError && err.faultType === "InvalidArgument",
      );
    } finally {
      proxy.failContinue = false;
    }
    assert.deepEqual(proxy.methods, [
      "CreateContainerView",
      "RetrievePropertiesEx",
      "ContinueRetrievePropertiesEx",
      "CancelRetrievePropertiesEx",
      "DestroyView",
    ]);
  });
});
