/**
 * SnapferryApi over the loopback bridge (main/bridge/), for the renderer running in a browser:
 * calls are `POST /api/call`, events one shared EventSource on `/api/events`. The token travels in
 * the HttpOnly cookie the bridge set when the printed URL was opened, so this code never sees it.
 * Transport failures become ApiResult errors, like every other failure the UI shows.
 */
import type {
  ApiError,
  ApiInput,
  ApiName,
  ApiOutput,
  ApiResult,
  AppEvent,
  SnapferryApi,
} from "../../../preload/contract";

export const BRIDGE_CALL_PATH = "/api/call";
export const BRIDGE_EVENTS_PATH = "/api/events";

export function createBridgeClient(base = ""): SnapferryApi {
  const listeners = new Set<(event: AppEvent) => void>();
  let source: EventSource | undefined;

  function deliver(message: MessageEvent<string>): void {
    let event: AppEvent;
    try {
      event = JSON.parse(message.data) as AppEvent;
    } catch {
      return;
    }
    for (const listener of [...listeners]) listener(event);
  }

  return {
    async call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>> {
      let response: Response;
      try {
        response = await fetch(`${base}${BRIDGE_CALL_PATH}`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name, input }),
        });
      } catch (err) {
        return failed(unreachable(err));
      }
      if (response.status === 401 || response.status === 403) return failed(refused(response.status));
      try {
        return (await response.json()) as ApiResult<ApiOutput<K>>;
      } catch {
        return failed({
          code: "internal",
          message: `the bridge answered ${response.status} without a result`,
        });
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      if (!source) {
        // EventSource reconnects by itself (the bridge asks for 2 s) after the bridge restarts.
        source = new EventSource(`${base}${BRIDGE_EVENTS_PATH}`, { withCredentials: true });
        source.onmessage = deliver;
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          source?.close();
          source = undefined;
        }
      };
    },
  };
}

function failed<T>(error: ApiError): ApiResult<T> {
  return { ok: false, error };
}

function unreachable(err: unknown): ApiError {
  return {
    code: "network",
    message: `Snapferry's background service cannot be reached: ${err instanceof Error ? err.message : String(err)}`,
    hint: "Check that `npm start` is still running, then reload the page.",
  };
}

function refused(status: number): ApiError {
  return {
    code: "usage",
    message: `Snapferry's background service refused this page (HTTP ${status})`,
    hint: "Open the address `npm start` printed, with its ?token=…, in this browser again.",
  };
}
