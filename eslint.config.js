// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const ELECTRON_ONLY_IN_APP = {
  name: "electron",
  message: "Only main/app/ and preload/index.ts may import electron: keep engines plain Node.",
};

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "**/node_modules/**",
      "coverage/**",
      "tmp/**",
      "demo/**",
      "bench/out/**",
      "release/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { paths: [ELECTRON_ONLY_IN_APP] }],
    },
  },
  {
    // The Electron shell and the preload script are where electron lives. The shell's pure modules
    // (origin, sender policy, window options, progress board, tray menu, paths) stay without it:
    // they are tested under plain Node.
    files: ["main/app/**/*.ts", "preload/index.ts"],
    ignores: [
      "main/app/app-origin.ts",
      "main/app/app-paths.ts",
      "main/app/sender-policy.ts",
      "main/app/window-options.ts",
      "main/app/progress-board.ts",
      "main/app/tray-menu.ts",
    ],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // The renderer is a web page: browser globals only, never Node or Electron. It may use the
    // contract's and main's types (erased at build time), never their code.
    files: ["renderer/src/**/*.{ts,tsx}"],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    rules: {
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            { ...ELECTRON_ONLY_IN_APP, message: "The renderer reaches main only through SnapferryApi." },
          ],
          patterns: [
            { group: ["node:*"], message: "The renderer never touches Node." },
            {
              group: ["**/main/**"],
              allowTypeImports: true,
              message: "Import main's types only (import type).",
            },
          ],
        },
      ],
    },
  },
  {
    // The native addon's CommonJS loader: require() is how a .node file is loaded.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
