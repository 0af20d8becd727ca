import { useQuery } from "@apollo/client";

import { cart } from "../cart.js";
import { CURRENCY, PRODUCTS } from "../operations.js";
import { Problem } from "./Problem.jsx";

export function Products() {
  const { data, loading, error } = useQuery(PRODUCTS, {
    variables: { currency: CURRENCY, first: 24 },
    fetchPolicy: "cache-and-network",
  });
  if (error) return <Problem error={error} />;
  if (loading && !data) return <p>Loading products…</p>;
  const products = data.products.edges.map((edge) => edge.node);
  return (
    <section>
      <h1>Products</h1>
      <ul className="grid">
        {products.map((product) => {
          const available = product.stock.available;
          return (
            <li key={product.id} className="card" data-testid="product">
              <h2>{product.name}</h2>
              {product.brand && <p className="muted">{product.brand}</p>}
              <p className="price">
                {product.price} {product.currency}
              </p>
              <p className={available > 0 ? "stock" : "stock out"} data-testid="stock">
                {available > 0 ? `${available} in stock` : "Out of stock"}
              </p>
              <button disabled={available < 1} onClick={() => cart.add(product)}>
                Add to cart
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
