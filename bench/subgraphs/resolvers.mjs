// Resolvers of the four benchmark subgraphs, over the data of data.mjs.
import {
  PRODUCTS,
  PRODUCTS_BY_UPC,
  REVIEWS_BY_AUTHOR,
  REVIEWS_BY_ID,
  REVIEWS_BY_UPC,
  USERS,
  USERS_BY_ID,
  inStock,
  shippingEstimate,
} from "./data.mjs";

const review = (r) => r && { id: r.id, body: r.body, upc: r.upc, authorId: r.authorId };

export const resolvers = {
  accounts: {
    Query: {
      me: () => USERS[0],
      user: (_, { id }) => USERS_BY_ID.get(id) ?? null,
      users: () => USERS,
    },
    User: { __resolveReference: ({ id }) => USERS_BY_ID.get(id) ?? null },
  },
  products: {
    Query: { topProducts: (_, { first }) => PRODUCTS.slice(0, Math.max(0, first ?? 5)) },
    Product: { __resolveReference: ({ upc }) => PRODUCTS_BY_UPC.get(upc) ?? null },
  },
  inventory: {
    Product: {
      __resolveReference: (ref) => ({ ...ref, inStock: inStock(ref.upc) }),
      shippingEstimate: (p) => shippingEstimate(p.price, p.weight),
    },
  },
  reviews: {
    Review: {
      __resolveReference: ({ id }) => review(REVIEWS_BY_ID.get(id)),
      product: (r) => ({ upc: r.upc }),
      author: (r) => ({ id: r.authorId, username: USERS_BY_ID.get(r.authorId)?.username }),
    },
    User: {
      __resolveReference: ({ id }) => ({ id }),
      reviews: (u) => (REVIEWS_BY_AUTHOR.get(u.id) ?? []).map(review),
    },
    Product: {
      __resolveReference: ({ upc }) => ({ upc }),
      reviews: (p) => (REVIEWS_BY_UPC.get(p.upc) ?? []).map(review),
    },
  },
};
