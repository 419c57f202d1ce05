/**
 * Repeating a clean-up step while the server cannot be reached. The failure being cleaned up after
 * may itself have been a network cut or a host that went away for a moment: giving up at the first
 * refused connection would leave behind exactly what the clean-up is there to remove.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SnapferryError } from "../../common/errors.js";

/** How long a clean-up keeps trying by default. */
export const CLEANUP_PATIENCE_MS = 60_000;

export function isPassingFailure(err: unknown): boolean {
  return err instanceof SnapferryError && (err.code === "network" || err.code === "vsphere-timeout");
}

/** Runs `step`, again after a growing pause while it fails for network reasons, for up to `patienceMs`. */
export async function retryWhileUnreachable<T>(
  step: () => Promise<T>,
  patienceMs = CLEANUP_PATIENCE_MS,
): Promise<T> {
  const deadline = Date.now() + patienceMs;
  let pause = 500;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!isPassingFailure(err) || Date.now() + pause > deadline) throw err;
      await sleep(pause);
      pause = Math.min(5_000, pause * 2);
    }
  }
}
