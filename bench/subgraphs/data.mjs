// Deterministic data of the four benchmark subgraphs (accounts, inventory, products, reviews).
// The shapes follow the public gateway benchmarks: a few users, products with price and weight,
// reviews that point at both; sizes are chosen so `topProducts(first: 100)` returns 100 entities.

export const PRODUCT_COUNT = 120;
export const REVIEWS_PER_PRODUCT = 3;
export const REVIEWS_PER_USER = 2;

const NAMES = ["Table", "Couch", "Chair", "Glass", "Lamp", "Shelf", "Desk", "Stool"];
const BODIES = [
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt " +
    "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation " +
    "ullamco laboris nisi ut aliquip ex ea commodo consequat.",
  "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque " +
    "laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis.",
  "Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit.",
  "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam.",
];

export const USERS = [
  { id: "1", name: "Ada Lovelace", username: "ada", birthday: 1815 },
  { id: "2", name: "Alan Turing", username: "alan", birthday: 1912 },
  { id: "3", name: "Grace Hopper", username: "grace", birthday: 1906 },
  { id: "4", name: "Edsger Dijkstra", username: "edsger", birthday: 1930 },
];
export const USERS_BY_ID = new Map(USERS.map((u) => [u.id, u]));

export const PRODUCTS = Array.from({ length: PRODUCT_COUNT }, (_, i) => {
  const n = i + 1;
  return {
    upc: String(n),
    name: `${NAMES[i % NAMES.length]} ${n}`,
    price: 100 + ((n * 37) % 1400),
    weight: 10 + ((n * 13) % 90),
  };
});
export const PRODUCTS_BY_UPC = new Map(PRODUCTS.map((p) => [p.upc, p]));

export const REVIEWS = PRODUCTS.flatMap((product, p) =>
  Array.from({ length: REVIEWS_PER_PRODUCT }, (_, r) => {
    const n = p * REVIEWS_PER_PRODUCT + r + 1;
    return {
      id: String(n),
      body: BODIES[n % BODIES.length],
      upc: product.upc,
      authorId: USERS[n % USERS.length].id,
    };
  }),
);
export const REVIEWS_BY_ID = new Map(REVIEWS.map((r) => [r.id, r]));

export const REVIEWS_BY_UPC = new Map();
export const REVIEWS_BY_AUTHOR = new Map();
for (const review of REVIEWS) {
  if (!REVIEWS_BY_UPC.has(review.upc)) REVIEWS_BY_UPC.set(review.upc, []);
  REVIEWS_BY_UPC.get(review.upc).push(review);
  if (!REVIEWS_BY_AUTHOR.has(review.authorId)) REVIEWS_BY_AUTHOR.set(review.authorId, []);
  const own = REVIEWS_BY_AUTHOR.get(review.authorId);
  if (own.length < REVIEWS_PER_USER) own.push(review);
}

export function inStock(upc) {
  return Number(upc) % 3 !== 0;
}

export function shippingEstimate(price, weight) {
  if (price == null || weight == null) return null;
  return price > 1000 ? 0 : Math.round(weight / 2);
}
