/**
 * The app's events to a browser as Server-Sent Events: one `data:` line of JSON per AppEvent, a
 * comment every few seconds so proxies and idle timers keep the stream open, and the subscription
 * dropped as soon as the browser goes away.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventHub } from "../services/app-events.js";

const HEARTBEAT_MS = 15_000;

export function openEventStream(req: IncomingMessage, res: ServerResponse, hub: EventHub): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    Connection: "keep-alive",
  });
  // Tells EventSource how soon to reconnect after the bridge restarts.
  res.write("retry: 2000\n\n");
  const unsubscribe = hub.subscribe((event) => {
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  const close = (): void => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  req.on("close", close);
  res.on("close", close);
}
