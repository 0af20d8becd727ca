import { defineConfig } from "vite";

// Plain JSX through esbuild (React's automatic runtime): no framework plugin to install.
// `npm run dev` serves the sources on Vite's port and forwards /graphql to the router of
// `make up` (public/config.js points the app there), beside the stack's own storefront on 4010.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    proxy: { "/graphql": process.env.POLYSHOP_ROUTER_URL ?? "http://127.0.0.1:4000" },
  },
});
