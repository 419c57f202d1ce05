import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import { retrieveProperties } from "../../main/sources/vsphere/property-collector.js";
import { children } from "../../main/sources/vsphere/soap-xml.js";
import { VimClient } from "../../main/sources/vsphere/vim-client.js";
import {
  TlsCertificateChangedError,
  TlsUnknownCertificateError,
  VsphereNetworkError,
} from "../../main/sources/vsphere/vsphere-errors.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";

function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-subj",
      "/CN=127.0.0.1",
      "-days",
      "2",
    ],
    { encoding: "utf8" },
  );
  if (r.error || r.status !== 0) {
    throw new Error(
      `the TLS tests need openssl to make a certificate (apt-get install openssl): ${r.stderr}`,
    );
  }
  return { certFile, keyFile };
}

function connectWith(sim: Vcsim, thumbprint: string | undefined): Promise<VimClient> {
  return VimClient.connect({
    host: sim.host,
    port: sim.port,
    thumbprint,
    username: "u",
    password: "p",
    timeoutMs: 20_000,
  });
}

async function sessionCount(client: VimClient): Promise<number> {
  const { props } = await retrieveProperties(client, client.serviceContent.sessionManager, ["sessionList"]);
  return children(props.get("sessionList"), "UserSession").length;
}

describe("TLS pinning against vcsim", () => {
  const temp = makeTempDir("vim-tls");
  let original: Vcsim;
  let impostor: Vcsim;
  before(async () => {
    original = await startVcsim();
    impostor = await startVcsim(selfSignedCertificate(temp.dir));
  });
  after(async () => {
    await Promise.all([original.stop(), impostor.stop()]);
    temp.cleanup();
  });

  it("refuses a server without a pin, showing its thumbprint and how to accept it", async () => {
    const probed = await probeCertificate(original.host, original.port, 5000);
    assert.match(probed.thumbprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(probed.validTo > probed.validFrom);
    await assert.rejects(connectWith(original, undefined), (err: unknown) => {
      assert.ok(err instanceof TlsUnknownCertificateError);
      assert.equal(err.code, "tls-unknown-certificate");
      assert.equal(err.certificate.thumbprint, probed.thumbprint);
      assert.ok(err.message.includes(probed.thumbprint));
      assert.ok(err.hint?.includes(`--accept-thumbprint ${probed.thumbprint}`));
      return true;
    });
    const pinned = await connectWith(original, probed.thumbprint.toLowerCase());
    await pinned.close();
  });

  it("refuses a changed certificate before sending anything", async () => {
    const pinned = (await probeCertificate(original.host, original.port, 5000)).thumbprint;
    const presented = (await probeCertificate(impostor.host, impostor.port, 5000)).thumbprint;
    assert.notEqual(pinned, presented);
    await assert.rejects(connectWith(impostor, pinned), (err: unknown) => {
      assert.ok(err instanceof TlsCertificateChangedError, String(err));
      assert.equal(err.code, "tls-certificate-changed");
      assert.ok(err.message.includes(pinned) && err.message.includes(presented));
      assert.match(err.message, /intercepting/);
      assert.match(err.hint ?? "", /renewed/);
      return true;
    });
    // The impostor never saw a Login: once connected for real, the only session there is ours.
    const client = await connectWith(impostor, presented);
    try {
      assert.equal(await sessionCount(client), 1);
    } finally {
      await client.close();
    }
  });
});

describe("unreachable servers", () => {
  it("names the server and the reason when nothing listens", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(
      VimClient.connect({ host: "127.0.0.1", port, thumbprint: undefined, username: "u", password: "p" }),
      (err: unknown) =>
        err instanceof VsphereNetworkError &&
        err.message.startsWith(`cannot reach 127.0.0.1:${port} (ECONNREFUSED)`),
    );
  });

  it("gives up on a server that accepts but never completes a handshake", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      await assert.rejects(
        VimClient.connect({
          host: "127.0.0.1",
          port,
          thumbprint: undefined,
          username: "u",
          password: "p",
          timeoutMs: 800,
        }),
        (err: unknown) => err instanceof VsphereNetworkError && err.errno === "ETIMEDOUT",
      );
      assert.ok(Date.now() - started < 10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
