/** Each test starts from a clean DOM, clean stores and no API installed. */
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { setApi } from "../api/current";
import { resetStores } from "../stores/reset";

afterEach(() => {
  cleanup();
  resetStores();
  setApi(undefined);
});
