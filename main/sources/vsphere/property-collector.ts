/**
 * Reading properties through the PropertyCollector: many objects in one round trip plus paging
 * (RetrievePropertiesEx, then ContinueRetrievePropertiesEx until no token is left), never one call
 * per object. A property the server could not read comes back as `missing` with its mapped fault,
 * since partial permissions are normal on a vCenter.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatMoRef, parseMoRef, type MoRef } from "./moref.js";
import type { SoapObject } from "./soap-envelope.js";
import { child, children, requireChild, requireText, text, type XmlNode } from "./soap-xml.js";
import { returnval, type InvokeOptions, type VimClient } from "./vim-client.js";
import { faultFromLocalized } from "./vim-faults.js";
import type { VsphereFaultError } from "./vsphere-errors.js";

export interface MissingProperty {
  path: string;
  fault: VsphereFaultError;
}

export interface ObjectProperties {
  obj: MoRef;
  /** Property path to its `val` element (read it with soap-xml's helpers). */
  props: Map<string, XmlNode>;
  missing: MissingProperty[];
}

export interface ContainerQuery {
  /** A folder, datacenter, cluster, ... (often serviceContent.rootFolder). */
  container: MoRef;
  /** Managed object type to the property paths wanted for it: { VirtualMachine: ["name", "runtime.powerState"] }. */
  types: Readonly<Record<string, readonly string[]>>;
  recursive: boolean;
  /** Objects per page (RetrieveOptions.maxObjects); the server may return fewer. */
  pageSize?: number;
  signal?: AbortSignal;
}

const DEFAULT_PAGE_SIZE = 500;

/** Every object of the given types under `container`, with the requested properties. */
export async function retrieveFromContainer(
  client: VimClient,
  query: ContainerQuery,
): Promise<ObjectProperties[]> {
  const { viewManager } = client.serviceContent;
  const created = await client.invoke(
    "CreateContainerView",
    {
      _this: viewManager,
      container: query.container,
      type: Object.keys(query.types),
      recursive: query.recursive,
    },
    { signal: query.signal },
  );
  const view = parseMoRef(requireChild(created, "returnval", client.server), client.server);
  try {
    const spec: SoapObject = {
      fields: {
        propSet: Object.entries(query.types).map(([type, paths]) => propertySpec(type, paths)),
        objectSet: {
          fields: {
            obj: view,
            skip: true,
            selectSet: {
              xsiType: "TraversalSpec",
              fields: { name: "view", type: "ContainerView", path: "view", skip: false },
            },
          },
        },
      },
    };
    return await retrievePaged(client, spec, { pageSize: query.pageSize, signal: query.signal });
  } finally {
    // The view lives in the session until destroyed: always destroy it, even after a failure.
    await client.invoke("DestroyView", { _this: view }).catch(() => undefined);
  }
}

/** The given properties of one object. */
export async function retrieveProperties(
  client: VimClient,
  obj: MoRef,
  paths: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<ObjectProperties> {
  const spec: SoapObject = {
    fields: { propSet: propertySpec(obj.type, paths), objectSet: { fields: { obj } } },
  };
  const [found] = await retrievePaged(client, spec, options);
  if (!found) {
    throw new SnapferryError(
      "not-found",
      `${formatMoRef(obj)} no longer exists on ${client.server}`,
      "It was removed or moved since the inventory was read; refresh the inventory and try again.",
    );
  }
  return found;
}

/** The same properties of each listed object (all of `type` or its subtypes): one round trip plus paging. */
export async function retrieveObjects(
  client: VimClient,
  refs: readonly MoRef[],
  type: string,
  paths: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<ObjectProperties[]> {
  if (refs.length === 0) return [];
  const spec: SoapObject = {
    fields: { propSet: propertySpec(type, paths), objectSet: refs.map((obj) => ({ fields: { obj } })) },
  };
  return retrievePaged(client, spec, options);
}

function propertySpec(type: string, paths: readonly string[]): SoapObject {
  return { fields: { type, all: false, pathSet: [...paths] } };
}

/**
 * Runs one PropertyFilterSpec through every page. An abandoned paging (an error midway) is
 * cancelled so the server frees what it kept for the token.
 */
export async function retrievePaged(
  client: VimClient,
  specSet: SoapObject,
  options: { pageSize?: number; signal?: AbortSignal },
): Promise<ObjectProperties[]> {
  const collector = client.serviceContent.propertyCollector;
  const invokeOptions: InvokeOptions = {
    signal: options.signal,
    validate: (r) => throwIfSessionEnded(r, client),
  };
  const pageOptions: SoapObject = { fields: { maxObjects: options.pageSize ?? DEFAULT_PAGE_SIZE } };
  const first = await client.invoke(
    "RetrievePropertiesEx",
    { _this: collector, specSet, options: pageOptions },
    invokeOptions,
  );
  const objects: ObjectProperties[] = [];
  let token = readPage(returnval(first), objects, client);
  try {
    while (token !== undefined) {
      const next = await client.invoke(
        "ContinueRetrievePropertiesEx",
        { _this: collector, token },
        invokeOptions,
      );
      token = readPage(requireChild(next, "returnval", client.server), objects, client);
    }
  } catch (err) {
    if (token !== undefined) {
      await client.invoke("CancelRetrievePropertiesEx", { _this: collector, token }).catch(() => undefined);
    }
    throw err;
  }
  return objects;
}

/** Appends one RetrieveResult's objects; returns the token of the next page, if any. */
function readPage(
  result: XmlNode | undefined,
  into: ObjectProperties[],
  client: VimClient,
): string | undefined {
  for (const content of children(result, "objects")) into.push(readObjectContent(content, client));
  const token = text(result, "token");
  return token === undefined || token === "" ? undefined : token;
}

function readObjectContent(content: XmlNode, client: VimClient): ObjectProperties {
  const server = client.server;
  const obj = parseMoRef(requireChild(content, "obj", server), server);
  const props = new Map<string, XmlNode>();
  for (const prop of children(content, "propSet")) {
    props.set(requireText(prop, "name", server), requireChild(prop, "val", server));
  }
  const missing = children(content, "missingSet").map((m) => ({
    path: requireText(m, "path", server),
    fault: faultFromLocalized(
      requireChild(m, "fault", server),
      client.faultContext(`reading ${formatMoRef(obj)}`),
    ),
  }));
  return { obj, props, missing };
}

/**
 * Some servers (vcsim among them) answer a collector call from an ended session with every property
 * "missing" for NotAuthenticated instead of a fault; this turns that into the fault, so the client
 * logs in again and repeats the call.
 */
function throwIfSessionEnded(response: XmlNode, client: VimClient): void {
  for (const content of children(returnval(response), "objects")) {
    for (const missing of children(content, "missingSet")) {
      const fault = child(missing, "fault");
      if (child(fault, "fault")?.xsiType === "NotAuthenticated" && fault) {
        throw faultFromLocalized(fault, client.faultContext("RetrievePropertiesEx"));
      }
    }
  }
}
