import { defineConfig } from "vite";

// No environment is baked in: the site reads config.json (the API URL) beside its index.html at start, and every
// asset is addressed relative to it, so the same bundle is served at /collect/ locally and at a site's root on AWS.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
});
