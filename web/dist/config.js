// The development default (`npm run dev`); `polyshop up` serves its own /config.js instead.
window.POLYSHOP_CONFIG = { graphqlUrl: "http://127.0.0.1:4000/graphql" };
