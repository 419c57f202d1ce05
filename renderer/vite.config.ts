/**
 * Builds the renderer into dist/renderer/. `base: "./"` keeps every URL relative, so Electron can
 * load index.html from file:// and the bridge can serve it from any path. Nothing is inlined (no
 * scripts, no styles, no data: assets), so the page runs under `default-src 'self'`.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/renderer", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    // The preload polyfill would be an inline script; Chromium (and so Electron) needs none.
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: "chrome120",
  },
});
