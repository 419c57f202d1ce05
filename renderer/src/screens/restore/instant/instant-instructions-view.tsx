/** Copy-paste instructions to attach the served disk to QEMU, libvirt, Proxmox or ESXi. */
import type { InstantView } from "../../../../../preload/contract";
import { instructionsFor } from "../../../lib/instant-instructions";
import { CopyButton } from "./copy-button";

export function InstantInstructions(props: { view: InstantView }) {
  return (
    <div className="instant-instructions">
      {instructionsFor(props.view).map((i) => (
        <section key={i.id} aria-label={`${i.title} instructions`}>
          <h4>{i.title}</h4>
          <p className="muted">{i.note}</p>
          <pre>
            <code>{i.text}</code>
          </pre>
          <CopyButton text={i.text} label={`Copy the ${i.title} instructions`} />
        </section>
      ))}
    </div>
  );
}
