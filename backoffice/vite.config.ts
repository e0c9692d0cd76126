import { defineConfig } from "vite";

// No environment is baked in: the app reads /config.json (API URL, Cognito) at start.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
});
