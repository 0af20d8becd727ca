// `npm run dev`: the router through Vite's proxy (vite.config.js). `polyshop up` answers
// /config.js itself with the router's own URL, so the built app calls it across origins.
window.POLYSHOP_CONFIG = { graphqlUrl: "/graphql" };
