/**
 * The datastore a restored VM goes to, by name, among those its host or cluster reaches: a wrong
 * name is refused with the datastores there are and their free space, an inaccessible one (a lost
 * NFS mount, a dead LUN) before anything is created.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatBytes } from "../../common/size.js";
import { sameMoRef, type MoRef } from "./moref.js";
import { retrieveFromContainer, type ObjectProperties } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";

export interface DatastoreTarget {
  ref: MoRef;
  name: string;
  freeSpace: number;
  capacity: number;
}

export interface DatastoreQuery {
  datacenter: MoRef;
  /** The datastores of the target host (or cluster). */
  reachable: readonly MoRef[];
  name: string;
  /** "DC0/DC0_C0", for messages. */
  label: string;
  signal?: AbortSignal;
}

function nameOf(ds: ObjectProperties): string {
  return ds.props.get("name")?.text ?? ds.obj.value;
}

function freeSpaceOf(ds: ObjectProperties): number {
  return Number(ds.props.get("summary.freeSpace")?.text ?? 0);
}

export async function findTargetDatastore(
  client: VimClient,
  query: DatastoreQuery,
): Promise<DatastoreTarget> {
  const all = await retrieveFromContainer(client, {
    container: query.datacenter,
    types: { Datastore: ["name", "summary.freeSpace", "summary.capacity", "summary.accessible"] },
    recursive: true,
    signal: query.signal,
  });
  const usable = all.filter((ds) => query.reachable.some((r) => sameMoRef(r, ds.obj)));
  const found = usable.find((ds) => nameOf(ds) === query.name);
  if (!found) {
    const listed =
      usable.map((ds) => `${nameOf(ds)} (${formatBytes(freeSpaceOf(ds))} free)`).join(", ") || "none";
    const elsewhere = all.some((ds) => nameOf(ds) === query.name);
    throw new SnapferryError(
      "not-found",
      elsewhere
        ? `datastore ${query.name} is not reachable from ${query.label}; its datastores: ${listed}`
        : `no datastore "${query.name}" on ${query.label}; its datastores: ${listed}`,
      "Give one of the datastores listed with --datastore (names are case-sensitive).",
    );
  }
  if (found.props.get("summary.accessible")?.text === "false") {
    throw new SnapferryError(
      "target",
      `datastore ${query.name} is not accessible from ${query.label} right now`,
      "Check the datastore's connection (storage network, NFS server) in the vSphere Client.",
    );
  }
  return {
    ref: found.obj,
    name: query.name,
    freeSpace: freeSpaceOf(found),
    capacity: Number(found.props.get("summary.capacity")?.text ?? 0),
  };
}
