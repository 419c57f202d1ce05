/** Copies a text to the clipboard and says so; where the clipboard is refused the text stays selectable. */
import { useState } from "react";

export function CopyButton(props: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <button type="button" aria-label={props.label} onClick={() => void copy()}>
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy it" : "Copy"}
    </button>
  );
}
