/**
 * The objects of one inventory read, indexed by reference: names, parents, inventory paths and
 * children, computed once. Paths follow `parent` up to the root folder; a VM inside a vApp has no
 * parent folder and hangs under its vApp instead.
 */
import { formatMoRef, parseMoRef, parseMoRefs, type MoRef } from "./moref.js";
import type { ObjectProperties } from "./property-collector.js";
import { unescapeInventoryName } from "./inventory-names.js";

export class InventoryIndex {
  readonly #objects = new Map<string, ObjectProperties>();
  readonly #children = new Map<string, ObjectProperties[]>();
  readonly #paths = new Map<string, string | undefined>();
  readonly #rootKey: string;

  constructor(
    objects: readonly ObjectProperties[],
    readonly rootFolder: MoRef,
    readonly server: string,
  ) {
    this.#rootKey = formatMoRef(rootFolder);
    for (const o of objects) this.#objects.set(formatMoRef(o.obj), o);
    for (const o of objects) {
      const parent = this.parentOf(o);
      if (!parent) continue;
      const key = formatMoRef(parent);
      const list = this.#children.get(key) ?? [];
      list.push(o);
      this.#children.set(key, list);
    }
  }

  all(): IterableIterator<ObjectProperties> {
    return this.#objects.values();
  }

  get(ref: MoRef | undefined): ObjectProperties | undefined {
    return ref && this.#objects.get(formatMoRef(ref));
  }

  /** A MoRef-valued property of `o`, or undefined when unset. */
  ref(o: ObjectProperties, property: string): MoRef | undefined {
    const node = o.props.get(property);
    return node ? parseMoRef(node, this.server) : undefined;
  }

  refs(o: ObjectProperties, property: string): MoRef[] {
    return parseMoRefs(o.props.get(property), this.server);
  }

  text(o: ObjectProperties, property: string): string | undefined {
    return o.props.get(property)?.text;
  }

  /** The name as vSphere stores it (escaped): what inventory paths are made of. */
  rawName(o: ObjectProperties): string {
    return this.text(o, "name") ?? o.obj.value;
  }

  name(o: ObjectProperties): string {
    return unescapeInventoryName(this.rawName(o));
  }

  nameOf(ref: MoRef | undefined): string | undefined {
    const o = this.get(ref);
    return o && this.name(o);
  }

  parentOf(o: ObjectProperties): MoRef | undefined {
    return this.ref(o, "parent") ?? this.ref(o, "parentVApp");
  }

  childrenOf(ref: MoRef): ObjectProperties[] {
    return this.#children.get(formatMoRef(ref)) ?? [];
  }

  isRoot(ref: MoRef): boolean {
    return formatMoRef(ref) === this.#rootKey;
  }

  /** "/DC0/host/DC0_C0"; undefined when the chain to the root folder is broken (an unreadable parent). */
  path(o: ObjectProperties): string | undefined {
    const key = formatMoRef(o.obj);
    if (this.#paths.has(key)) return this.#paths.get(key);
    this.#paths.set(key, undefined); // a cycle (never from a sane server) then ends as "no path"
    const parent = this.parentOf(o);
    let path: string | undefined;
    if (parent && this.isRoot(parent)) path = `/${this.rawName(o)}`;
    else {
      const above = this.get(parent);
      const abovePath = above && this.path(above);
      path = abovePath === undefined ? undefined : `${abovePath}/${this.rawName(o)}`;
    }
    this.#paths.set(key, path);
    return path;
  }

  /** The path, or a stand-in naming the object when its chain of parents could not be read. */
  pathOrRef(o: ObjectProperties): string {
    return this.path(o) ?? `?/${this.rawName(o)}`;
  }

  /** The nearest ancestor of one of `types` (e.g. the Datacenter of a datastore). */
  ancestor(o: ObjectProperties, ...types: string[]): ObjectProperties | undefined {
    let current = this.get(this.parentOf(o));
    for (let hops = 0; current && hops < 256; hops++) {
      if (types.includes(current.obj.type)) return current;
      current = this.get(this.parentOf(current));
    }
    return undefined;
  }
}

export type EntityKind =
  | "folder"
  | "datacenter"
  | "cluster"
  | "compute-resource"
  | "host"
  | "resource-pool"
  | "vapp"
  | "vm"
  | "datastore"
  | "network";

const KINDS: Readonly<Record<string, EntityKind>> = {
  Folder: "folder",
  StoragePod: "folder",
  Datacenter: "datacenter",
  ClusterComputeResource: "cluster",
  ComputeResource: "compute-resource",
  HostSystem: "host",
  ResourcePool: "resource-pool",
  VirtualApp: "vapp",
  VirtualMachine: "vm",
  Datastore: "datastore",
};

/** The view holds only the queried base types, so anything else is one of Network's subtypes. */
export function kindOf(ref: MoRef): EntityKind {
  return KINDS[ref.type] ?? "network";
}
