/**
 * Calls main and always answers with an ApiResult: a transport failure (the bridge went away, the
 * API is missing) becomes an error value too, so every screen has one error path to show.
 */
import type { ApiError, ApiInput, ApiName, ApiOutput, ApiResult } from "../../../preload/contract";
import { getApi } from "./current";

export async function call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>> {
  try {
    return await getApi().call(name, input);
  } catch (err) {
    return { ok: false, error: transportError(err) };
  }
}

function transportError(err: unknown): ApiError {
  return {
    code: "internal",
    message: `Snapferry could not reach its background service: ${err instanceof Error ? err.message : String(err)}`,
    hint: "Restart Snapferry. If it keeps happening, the log of the main process says why.",
  };
}
