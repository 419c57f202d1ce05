/** "Remember in the keychain", disabled with the reason where the OS has no keychain. */
import { useAppStore } from "../stores/app-store";

export function RememberCheckbox(props: { checked: boolean; onChange(checked: boolean): void }) {
  const keychain = useAppStore((s) => s.info?.keychain);
  const unavailable = keychain === "unavailable";
  return (
    <label className="choice">
      <input
        type="checkbox"
        checked={props.checked && !unavailable}
        disabled={unavailable}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      Remember the password in the system keychain
      {unavailable ? (
        <span className="muted">
          {" "}
          — no keychain on this machine: Snapferry will ask each time, and never stores it in plain text
        </span>
      ) : null}
    </label>
  );
}
