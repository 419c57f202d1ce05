/**
 * Job progress outside the window: the taskbar or dock progress bar while jobs run, and an OS
 * notification when one succeeds or fails (progress-board.ts decides what to show).
 */
import { Notification, type BrowserWindow } from "electron";
import type { EventHub } from "../services/app-events.js";
import { INDETERMINATE_BAR, ProgressBoard } from "./progress-board.js";

export function trackProgress(
  hub: EventHub,
  window: () => BrowserWindow | undefined,
): { board: ProgressBoard; stop: () => void } {
  const board = new ProgressBoard();
  const stop = hub.subscribe((event) => {
    const update = board.apply(event);
    if (!update) return;
    const target = window();
    if (target && !target.isDestroyed()) {
      target.setProgressBar(update.bar, {
        mode: update.bar === INDETERMINATE_BAR ? "indeterminate" : "normal",
      });
    }
    if (update.notice && Notification.isSupported()) {
      new Notification({
        title: update.notice.title,
        body: update.notice.body,
        urgency: update.notice.failed ? "critical" : "normal",
      }).show();
    }
  });
  return { board, stop };
}
