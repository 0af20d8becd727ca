import { defineConfig } from "vite";

// Plain JSX through esbuild (React's automatic runtime): no framework plugin to install.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { port: 4010, strictPort: true },
});
