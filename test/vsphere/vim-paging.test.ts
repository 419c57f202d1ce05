/**
 * Paging through the property collector. The vcsim Debian ships ignores maxObjects and never
 * returns a token, so this test puts a small paging proxy in front of it (test-only): it cuts
 * RetrievePropertiesEx answers into pages of maxObjects and answers ContinueRetrievePropertiesEx
 * and CancelRetrievePropertiesEx itself, the way vCenter does, and records which methods it saw.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import { retrieveFromContainer } from "../../main/sources/vsphere/property-collector.js";
import { VimClient } from "../../main/sources/vsphere/vim-client.js";
import { VsphereFaultError } from "../../main/sources/vsphere/vsphere-errors.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";

const ENVELOPE_START =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENVELOPE_END = "</soapenv:Body></soapenv:Envelope>";

class PagingProxy {
  readonly methods: string[] = [];
  /** When set, ContinueRetrievePropertiesEx answers with a fault, to test abandoned paging. */
  failContinue = false;
  private readonly pages = new Map<string, { objects: string[]; size: number }>();
  private nextToken = 1;
  private readonly upstream = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  private readonly server: https.Server;

  constructor(
    private readonly sim: Vcsim,
    tls: { cert: Buffer; key: Buffer },
  ) {
    this.server = https.createServer(tls, (req, res) => void this.handle(req, res));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.upstream.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const method = /<soapenv:Body><([A-Za-z_]+)/.exec(body.toString())?.[1] ?? "";
    this.methods.push(method);
    if (method === "ContinueRetrievePropertiesEx" || method === "CancelRetrievePropertiesEx") {
      const token = /<token>([^<]*)<\/token>/.exec(body.toString())?.[1] ?? "";
      return this.answerPaging(method, token, res);
    }
    const upstream = await this.forward(req, body);
    let text = upstream.body.toString();
    const maxObjects = /<maxObjects>(\d+)<\/maxObjects>/.exec(body.toString())?.[1];
    if (method === "RetrievePropertiesEx" && maxObjects) text = this.firstPage(text, Number(maxObjects));
    res.writeHead(upstream.status, upstream.headers);
    res.end(text);
  }

  private firstPage(text: string, size: number): string {
    const objects = text.match(/<objects>[\s\S]*?<\/objects>/g) ?? [];
    const start = text.indexOf("<returnval>");
    const end = text.lastIndexOf("</returnval>");
    if (objects.length <= size || start < 0 || end < 0) return text;
    return `${text.slice(0, start)}${this.page(objects, size)}${text.slice(end + "</returnval>".length)}`;
  }

  /** One RetrieveResult of `size` objects, with a token when more are left. */
  private page(objects: string[], size: number): string {
    const rest = objects.slice(size);
    let token = "";
    if (rest.length > 0) {
      const name = `page-${this.nextToken++}`;
      this.pages.set(name, { objects: rest, size });
      token = `<token>${name}</token>`;
    }
    return `<returnval>${token}${objects.slice(0, size).join("")}</returnval>`;
  }

  private answerPaging(method: string, token: string, res: ServerResponse): void {
    const pending = this.pages.get(token);
    this.pages.delete(token);
    res.setHeader("Content-Type", "text/xml; charset=utf-8");
    if (method === "CancelRetrievePropertiesEx") {
      res.end(`${ENVELOPE_START}<${method}Response xmlns="urn:vim25"></${method}Response>${ENVELOPE_END}`);
    } else if (!pending || this.failContinue) {
      res.statusCode = 500;
      res.end(
        `${ENVELOPE_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>bad token</faultstring>` +
          '<detail><InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>token' +
          `</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault>${ENVELOPE_END}`,
      );
    } else {
      const result = this.page(pending.objects, pending.size);
      res.end(
        `${ENVELOPE_START}<${method}Response xmlns="urn:vim25">${result}</${method}Response>${ENVELOPE_END}`,
      );
    }
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const name of ["content-type", "soapaction", "cookie"]) {
        const value = req.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      const up = https.request(
        {
          host: this.sim.host,
          port: this.sim.port,
          path: req.url,
          method: req.method,
          headers,
          agent: this.upstream,
        },
        (res) => {
          readAll(res).then((answer) => {
            const back: Record<string, string | string[]> = {
              "content-type": res.headers["content-type"] ?? "text/xml",
            };
            if (res.headers["set-cookie"]) back["set-cookie"] = res.headers["set-cookie"];
            resolve({ status: res.statusCode ?? 502, headers: back, body: answer });
          }, reject);
        },
      );
      up.on("error", reject);
      up.end(body);
    });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part));
  return Buffer.concat(parts);
}

function makeCertificate(dir: string): { cert: Buffer; key: Buffer } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert];
  const r = spawnSync("openssl", [...args, "-subj", "/CN=127.0.0.1", "-days", "2"], { encoding: "utf8" });
  if (r.error || r.status !== 0)
    throw new Error(`this test needs openssl (apt-get install openssl): ${r.stderr}`);
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

describe("property collector paging (through a paging proxy in front of vcsim)", () => {
  const temp = makeTempDir("vim-paging");
  let sim: Vcsim;
  let proxy: PagingProxy;
  let client: VimClient;
  before(async () => {
    sim = await startVcsim();
    proxy = new PagingProxy(sim, makeCertificate(temp.dir));
    const port = await proxy.listen();
    const { thumbprint } = await probeCertificate("127.0.0.1", port, 5000);
    client = await VimClient.connect({ host: "127.0.0.1", port, thumbprint, username: "u", password: "p" });
  });
  after(async () => {
    await client.close();
    await proxy.close();
    await sim.stop();
    temp.cleanup();
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
