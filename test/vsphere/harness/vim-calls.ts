/**
 * The few SOAP calls the proxy makes to vcsim itself, in the client's session (its cookie), since
 * the proxy never knows the test's credentials: task outcome, a VM's disks, its snapshot tree, and
 * whether the session is still logged in.
 */
import https from "node:https";
import type { RawResponse } from "../../support/http-client.js";
import { postSoap, soapEnvelope } from "./soap-post.js";
import { escapeXml, child, children, moref, parseXml, soapBodyMethod, text, xsiType } from "./xml-read.js";
import type { MoRef, XmlNode } from "./xml-read.js";

export type UpstreamAnswer = RawResponse;

export interface VimDisk {
  deviceKey: number;
  fileName: string;
  capacityBytes: number;
}

export interface TaskOutcome {
  state: "success" | "error";
  result?: MoRef;
}

export class VimCalls {
  private propertyCollector: Promise<MoRef> | undefined;

  constructor(
    private readonly sdkUrl: URL,
    private readonly agent: https.Agent,
  ) {}

  post(body: string, cookie: string | undefined): Promise<UpstreamAnswer> {
    return postSoap(this.sdkUrl, this.agent, body, cookie);
  }

  private async call(method: string, inner: string, cookie: string | undefined): Promise<XmlNode> {
    const answer = await this.post(soapEnvelope(method, inner), cookie);
    const body = soapBodyMethod(parseXml(answer.body));
    if (answer.status !== 200 || !body || body.name === "Fault") {
      throw new Error(`the harness's own ${method} call to vcsim failed (${answer.status}): ${answer.body}`);
    }
    return body.node;
  }

  /** vCenter calls it "propertyCollector", ESXi "ha-property-collector": ask, once. */
  private collector(): Promise<MoRef> {
    this.propertyCollector ??= this.call(
      "RetrieveServiceContent",
      '<_this type="ServiceInstance">ServiceInstance</_this>',
      undefined,
    ).then((content) => {
      const ref = moref(child(child(content, "returnval"), "propertyCollector"));
      if (!ref) throw new Error("vcsim's ServiceContent names no propertyCollector");
      return ref;
    });
    return this.propertyCollector;
  }

  /** The properties of one object, by name; an absent property is simply missing from the map. */
  private async properties(ref: MoRef, paths: string[], cookie?: string): Promise<Map<string, XmlNode>> {
    const collector = await this.collector();
    const inner =
      `<_this type="PropertyCollector">${escapeXml(collector.value)}</_this><specSet><propSet>` +
      `<type>${escapeXml(ref.type)}</type>${paths.map((p) => `<pathSet>${escapeXml(p)}</pathSet>`).join("")}` +
      `</propSet><objectSet><obj type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</obj></objectSet>` +
      "</specSet><options></options>";
    const response = await this.call("RetrievePropertiesEx", inner, cookie);
    const found = new Map<string, XmlNode>();
    for (const objects of children(child(response, "returnval"), "objects")) {
      for (const prop of children(objects, "propSet")) {
        const name = text(child(prop, "name"));
        const val = child(prop, "val");
        if (name !== undefined && val !== undefined) found.set(name, val);
      }
      if (child(objects, "missingSet")) {
        throw new Error(`vcsim withheld ${ref.type} ${ref.value} properties from the client's session`);
      }
    }
    return found;
  }

  async waitForTask(task: MoRef, cookie: string | undefined, timeoutMs = 60_000): Promise<TaskOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = (await this.properties(task, ["info"], cookie)).get("info");
      const state = text(child(info, "state"));
      if (state === "success" || state === "error") return { state, result: moref(child(info, "result")) };
      if (Date.now() > deadline)
        throw new Error(`task ${task.value} still ${state ?? "?"} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async disks(vm: MoRef, cookie: string | undefined): Promise<VimDisk[]> {
    const devices = (await this.properties(vm, ["config.hardware.device"], cookie)).get(
      "config.hardware.device",
    );
    const found: VimDisk[] = [];
    for (const device of children(devices, "VirtualDevice")) {
      if (xsiType(device) !== "VirtualDisk") continue;
      const fileName = text(child(child(device, "backing"), "fileName"));
      const bytes = Number(text(child(device, "capacityInBytes")) ?? "0");
      const kb = Number(text(child(device, "capacityInKB")) ?? "0");
      if (fileName) {
        found.push({
          deviceKey: Number(text(child(device, "key"))),
          fileName,
          capacityBytes: bytes > 0 ? bytes : kb * 1024,
        });
      }
    }
    return found;
  }

  /** vcsim leaves the flag unset on its model VMs, which means off. */
  async changeTrackingEnabled(vm: MoRef, cookie: string | undefined): Promise<boolean> {
    const flag = (await this.properties(vm, ["config.changeTrackingEnabled"], cookie)).get(
      "config.changeTrackingEnabled",
    );
    return text(flag) === "true";
  }

  /** Every snapshot in the VM's tree, at any depth. */
  async snapshotTree(vm: MoRef, cookie: string | undefined): Promise<Set<string>> {
    const info = (await this.properties(vm, ["snapshot"], cookie)).get("snapshot");
    const found = new Set<string>();
    const walk = (trees: XmlNode[]): void => {
      for (const tree of trees) {
        const ref = moref(child(tree, "snapshot"));
        if (ref) found.add(ref.value);
        walk(children(tree, "childSnapshotList"));
      }
    };
    walk(children(info, "rootSnapshotList"));
    return found;
  }

  /** False when vcsim says NotAuthenticated; CurrentTime is the cheapest call that checks. */
  async sessionIsValid(cookie: string | undefined): Promise<boolean> {
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ' +
      'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
      '<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>' +
      "</soapenv:Body></soapenv:Envelope>";
    const answer = await this.post(envelope, cookie);
    return answer.status === 200;
  }
}
