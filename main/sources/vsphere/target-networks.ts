/**
 * The networks a restored VM's adapters can join: those the target host or cluster reaches, by
 * name. A distributed port group is joined through its switch, so its key and the switch's UUID
 * are read too, only for the port groups a NIC asks for.
 */
import { parseMoRef, type MoRef } from "./moref.js";
import { retrieveObjects, retrieveProperties } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";
import type { TargetNetwork } from "./vm-create.js";

export async function targetNetworks(
  client: VimClient,
  reachable: readonly MoRef[],
  wanted: readonly string[],
): Promise<Map<string, TargetNetwork>> {
  const found = new Map<string, TargetNetwork>();
  if (wanted.length === 0 || reachable.length === 0) return found;
  // One round trip for every name: "Network" covers port groups and opaque networks too.
  const named = await retrieveObjects(client, reachable, "Network", ["name"]);
  for (const network of named) {
    const name = network.props.get("name")?.text;
    if (name === undefined || !wanted.includes(name) || found.has(name)) continue;
    const ref = network.obj;
    // NSX opaque networks are joined by an id a restore cannot know: such NICs are left out with a note.
    if (ref.type === "OpaqueNetwork") continue;
    const target =
      ref.type === "DistributedVirtualPortgroup"
        ? await portgroup(client, ref)
        : { kind: "standard" as const, ref };
    if (target) found.set(name, target);
  }
  return found;
}

async function portgroup(client: VimClient, ref: MoRef): Promise<TargetNetwork | undefined> {
  const { props } = await retrieveProperties(client, ref, ["key", "config.distributedVirtualSwitch"]);
  const switchNode = props.get("config.distributedVirtualSwitch");
  if (!switchNode) return undefined;
  const dvs = parseMoRef(switchNode, client.server);
  const uuid = (await retrieveProperties(client, dvs, ["uuid"])).props.get("uuid")?.text;
  return uuid
    ? { kind: "distributed", ref, portgroupKey: props.get("key")?.text ?? ref.value, switchUuid: uuid }
    : undefined;
}
