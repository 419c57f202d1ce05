/**
 * Bundles preload/index.ts into dist/preload/index.cjs: one CommonJS file, because a sandboxed
 * preload can require only electron's own modules, not other files of the app.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: here("."),
  publicDir: false,
  logLevel: "warn",
  build: {
    outDir: here("../dist/preload"),
    // tsc also writes dist/preload/contract.js there (main imports the contract): keep it.
    emptyOutDir: false,
    // Electron 45's Node and Chromium.
    target: "node22",
    minify: false,
    sourcemap: false,
    lib: {
      entry: here("./index.ts"),
      formats: ["cjs"],
      fileName: () => "index.cjs",
    },
    rollupOptions: { external: ["electron"] },
  },
});
