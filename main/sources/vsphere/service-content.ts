/**
 * The ServiceContent a vim25 server returns before login: the well-known managed objects (root
 * folder, property collector, managers) and `about`, which says whether this is an ESXi host
 * ("HostAgent") or a vCenter ("VirtualCenter") and which API version it speaks.
 */
import { parseMoRef, type MoRef } from "./moref.js";
import { child, requireChild, requireText, text, type XmlNode } from "./soap-xml.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

export type ApiType = "VirtualCenter" | "HostAgent";

export interface AboutInfo {
  name: string;
  fullName: string;
  vendor: string;
  version: string;
  build: string;
  apiType: ApiType;
  /** "8.0.2.0"; the SOAPAction of every call after RetrieveServiceContent names it. */
  apiVersion: string;
  /** Set by vCenter; standalone ESXi hosts have none. */
  instanceUuid: string | undefined;
  productLineId: string | undefined;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  about: AboutInfo;
  /** Managers other modules need; optional because a server may not expose all of them. */
  fileManager: MoRef | undefined;
  virtualDiskManager: MoRef | undefined;
  ovfManager: MoRef | undefined;
  searchIndex: MoRef | undefined;
  taskManager: MoRef | undefined;
  licenseManager: MoRef | undefined;
  /** The whole answer, for anything not listed above. */
  node: XmlNode;
}

export const SERVICE_INSTANCE: MoRef = { type: "ServiceInstance", value: "ServiceInstance" };

function required(content: XmlNode, name: string, server: string): MoRef {
  return parseMoRef(requireChild(content, name, server), server);
}

function optional(content: XmlNode, name: string, server: string): MoRef | undefined {
  const node = child(content, name);
  return node ? parseMoRef(node, server) : undefined;
}

function parseAbout(content: XmlNode, server: string): AboutInfo {
  const about = requireChild(content, "about", server);
  const apiType = requireText(about, "apiType", server);
  if (apiType !== "VirtualCenter" && apiType !== "HostAgent") {
    throw new VsphereProtocolError(
      `${server} is neither an ESXi host nor a vCenter Server (it reports apiType "${apiType}")`,
      "Connect to an ESXi host or a vCenter Server.",
    );
  }
  return {
    name: text(about, "name") ?? "",
    fullName: text(about, "fullName") ?? "",
    vendor: text(about, "vendor") ?? "",
    version: text(about, "version") ?? "",
    build: text(about, "build") ?? "",
    apiType,
    apiVersion: requireText(about, "apiVersion", server),
    instanceUuid: text(about, "instanceUuid") || undefined,
    productLineId: text(about, "productLineId") || undefined,
  };
}

/** Reads RetrieveServiceContentResponse/returnval. */
export function parseServiceContent(content: XmlNode, server: string): ServiceContent {
  return {
    rootFolder: required(content, "rootFolder", server),
    propertyCollector: required(content, "propertyCollector", server),
    viewManager: required(content, "viewManager", server),
    sessionManager: required(content, "sessionManager", server),
    about: parseAbout(content, server),
    fileManager: optional(content, "fileManager", server),
    virtualDiskManager: optional(content, "virtualDiskManager", server),
    ovfManager: optional(content, "ovfManager", server),
    searchIndex: optional(content, "searchIndex", server),
    taskManager: optional(content, "taskManager", server),
    licenseManager: optional(content, "licenseManager", server),
    node: content,
  };
}
