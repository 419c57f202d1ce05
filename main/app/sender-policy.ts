/**
 * Which IPC senders the app answers: only the top frame of one of its own windows, showing one of
 * its own pages. An iframe, a window the app did not open, or a page that navigated elsewhere gets
 * nothing, whatever it sends. Plain data in, a verdict out: tested under plain Node.
 */
import { isAppUrl } from "./app-origin.js";

export interface SenderFacts {
  /** event.sender.id */
  webContentsId: number;
  /** event.senderFrame?.url; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** event.senderFrame?.parent === null */
  topFrame: boolean;
}

export function isTrustedSender(facts: SenderFacts, appWebContents: ReadonlySet<number>): boolean {
  return appWebContents.has(facts.webContentsId) && facts.topFrame && isAppUrl(facts.frameUrl);
}
