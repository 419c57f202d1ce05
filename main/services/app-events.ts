/**
 * The app's one event stream (progress, runs, log lines) fanned out to whoever listens: the
 * Electron window, the tray and taskbar progress, or the bridge's Server-Sent Events clients.
 * A listener that throws is dropped from nobody else's delivery.
 */
import type { AppEvent } from "../../preload/contract.js";

export type AppEventListener = (event: AppEvent) => void;

export class EventHub {
  readonly #listeners = new Set<AppEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  /** Returns the function that unsubscribes. */
  subscribe(listener: AppEventListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  readonly emit = (event: AppEvent): void => {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  };

  get size(): number {
    return this.#listeners.size;
  }
}
