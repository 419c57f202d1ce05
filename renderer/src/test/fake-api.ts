/**
 * A SnapferryApi for component tests: the contract's boundary, answered from the test's handlers.
 * Every input is validated with the contract's own valibot schema, as main does, so a test fails
 * when a screen sends something the real main would refuse.
 */
import * as v from "valibot";
import {
  inputs,
  type ApiInput,
  type ApiName,
  type ApiOutput,
  type ApiResult,
  type AppEvent,
  type SnapferryApi,
} from "../../../preload/contract";

export type Handlers = {
  [K in ApiName]?: (input: ApiInput<K>) => ApiResult<ApiOutput<K>> | Promise<ApiResult<ApiOutput<K>>>;
};

export interface RecordedCall {
  name: ApiName;
  input: unknown;
}

export class FakeApi implements SnapferryApi {
  readonly calls: RecordedCall[] = [];
  private readonly listeners = new Set<(event: AppEvent) => void>();

  constructor(private readonly handlers: Handlers) {}

  async call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>> {
    this.calls.push({ name, input });
    const parsed = v.safeParse(inputs[name], input);
    if (!parsed.success) {
      return {
        ok: false,
        error: { code: "usage", message: `invalid input for ${name}: ${v.summarize(parsed.issues)}` },
      };
    }
    const handler: Handlers[K] = this.handlers[name];
    if (!handler) return { ok: false, error: { code: "internal", message: `the fake has no ${name}` } };
    return handler(input);
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces how one call is answered. */
  handle<K extends ApiName>(name: K, handler: NonNullable<Handlers[K]>): void {
    this.handlers[name] = handler;
  }

  emit(event: AppEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  callsTo<K extends ApiName>(name: K): ApiInput<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as ApiInput<K>);
  }
}

export function ok<T>(value: T): ApiResult<T> {
  return { ok: true, value };
}
