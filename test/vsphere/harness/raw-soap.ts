/**
 * A bare vim25 SOAP client for test setup and for the harness's own test: log in, call a method
 * with hand-written XML, wait for a task, download from /folder. It trusts any certificate, which is
 * acceptable only because it talks to local test fixtures; the product's client pins thumbprints.
 */
import https from "node:https";
import { postSoap, soapEnvelope } from "./soap-post.js";
import { child, children, escapeXml, moref, parseXml, soapBodyMethod, text } from "./xml-read.js";
import type { MoRef, XmlNode } from "./xml-read.js";

export interface RawAnswer {
  status: number;
  body: string;
  /** The parsed method response or Fault element. */
  name: string;
  node: XmlNode | undefined;
}

export interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** False when the connection ended before the response did (a cut). */
  complete: boolean;
}

export function moXml(element: string, ref: MoRef): string {
  return `<${element} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${element}>`;
}

interface ServiceContent {
  propertyCollector: MoRef;
  sessionManager: MoRef;
  searchIndex: MoRef;
}

export class RawSoapClient {
  private content: ServiceContent | undefined;
  readonly agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  private cookie: string | undefined;
  readonly origin: URL;

  constructor(readonly sdkUrl: string) {
    this.origin = new URL(sdkUrl);
  }

  async call(method: string, innerXml: string): Promise<RawAnswer> {
    const { status, headers, body } = await postSoap(
      this.sdkUrl,
      this.agent,
      soapEnvelope(method, innerXml),
      this.cookie,
    );
    const setCookie = headers["set-cookie"];
    if (Array.isArray(setCookie) && setCookie[0]) this.cookie = setCookie[0].split(";")[0];
    const parsed = soapBodyMethod(parseXml(body));
    return { status, body, name: parsed?.name ?? "", node: parsed?.node };
  }

  /** Like call, but a fault is an error. */
  async ok(method: string, innerXml: string): Promise<XmlNode | undefined> {
    const answer = await this.call(method, innerXml);
    if (answer.status !== 200 || answer.name === "Fault") {
      throw new Error(`${method} failed (${answer.status}): ${answer.body}`);
    }
    return answer.node;
  }

  /** The service's singletons, which vCenter and ESXi name differently. */
  async serviceContent(): Promise<ServiceContent> {
    if (this.content) return this.content;
    const node = child(
      await this.ok("RetrieveServiceContent", '<_this type="ServiceInstance">ServiceInstance</_this>'),
      "returnval",
    );
    const ref = (name: string): MoRef => {
      const found = moref(child(node, name));
      if (!found) throw new Error(`ServiceContent has no ${name}`);
      return found;
    };
    this.content = {
      propertyCollector: ref("propertyCollector"),
      sessionManager: ref("sessionManager"),
      searchIndex: ref("searchIndex"),
    };
    return this.content;
  }

  async login(userName = "user", password = "pass"): Promise<void> {
    const { sessionManager } = await this.serviceContent();
    await this.ok(
      "Login",
      moXml("_this", sessionManager) +
        `<userName>${escapeXml(userName)}</userName><password>${escapeXml(password)}</password>`,
    );
  }

  async findByInventoryPath(inventoryPath: string): Promise<MoRef> {
    const { searchIndex } = await this.serviceContent();
    const node = await this.ok(
      "FindByInventoryPath",
      `${moXml("_this", searchIndex)}<inventoryPath>${escapeXml(inventoryPath)}</inventoryPath>`,
    );
    const ref = moref(child(node, "returnval"));
    if (!ref) throw new Error(`no object at ${inventoryPath}`);
    return ref;
  }

  /** The raw RetrievePropertiesEx answer for one object's properties. */
  async retrieveRaw(ref: MoRef, paths: string[]): Promise<RawAnswer> {
    const { propertyCollector } = await this.serviceContent();
    return this.call(
      "RetrievePropertiesEx",
      `${moXml("_this", propertyCollector)}<specSet><propSet>` +
        `<type>${escapeXml(ref.type)}</type>${paths.map((p) => `<pathSet>${escapeXml(p)}</pathSet>`).join("")}` +
        `</propSet><objectSet>${moXml("obj", ref)}</objectSet></specSet><options></options>`,
    );
  }

  /** Waits for a task and returns its result, or throws with its error. */
  async waitForTask(task: MoRef, timeoutMs = 30_000): Promise<MoRef | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.retrieveRaw(task, ["info.state", "info.result", "info.error"]);
      const props = new Map<string, XmlNode | undefined>();
      const objects = child(child(answer.node, "returnval"), "objects");
      for (const prop of children(objects, "propSet")) {
        props.set(text(child(prop, "name")) ?? "", child(prop, "val"));
      }
      const state = text(props.get("info.state"));
      if (state === "success") return moref(props.get("info.result"));
      if (state === "error") throw new Error(`task ${task.value} failed: ${answer.body}`);
      if (Date.now() > deadline) throw new Error(`task ${task.value} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Runs a *_Task method to completion and returns the task's result. */
  async runTask(method: string, innerXml: string): Promise<MoRef | undefined> {
    const task = moref(child(await this.ok(method, innerXml), "returnval"));
    if (!task) throw new Error(`${method} returned no task`);
    return this.waitForTask(task);
  }

  /** A GET or HEAD under /folder, whole or with a Range header; a cut shows as complete: false. */
  download(folderPath: string, range?: string, method = "GET"): Promise<Download> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(folderPath, this.origin),
        { method, agent: this.agent, headers: range ? { Range: range } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          const finish = (): void =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              complete: res.complete,
            });
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", finish);
          res.on("close", finish);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  /** A whole-file PUT under /folder, as datastore uploads are made; resolves to the HTTP status. */
  upload(folderPath: string, data: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(folderPath, this.origin),
        { method: "PUT", agent: this.agent, headers: { "Content-Length": data.length } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
