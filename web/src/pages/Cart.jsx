import { useMutation } from "@apollo/client";
import { useState } from "react";

import { navigate } from "../route.js";
import { cart, newKey, useCart } from "../cart.js";
import { CURRENCY, PLACE_ORDER } from "../operations.js";
import { useUser } from "../session.js";
import { Problem } from "./Problem.jsx";

export function Cart() {
  const lines = useCart();
  const user = useUser();
  // One key per checkout attempt: a double click or a retry after a lost answer places the
  // order once (the API returns the same order for the same key).
  const [key, setKey] = useState(newKey);
  const [placeOrder, { loading, error }] = useMutation(PLACE_ORDER);

  if (lines.length === 0) {
    return (
      <section>
        <h1>Cart</h1>
        <p>
          Your cart is empty. <a href="#/">Browse products</a>.
        </p>
      </section>
    );
  }
  const total = lines.reduce((sum, line) => sum + Number(line.price) * line.quantity, 0);

  async function checkout() {
    const input = {
      currency: CURRENCY,
      items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
    };
    try {
      const { data } = await placeOrder({ variables: { input, key } });
      cart.clear();
      setKey(newKey());
      navigate(`/orders/${encodeURIComponent(data.placeOrder.id)}`);
    } catch {
      // shown below from `error`
    }
  }

  return (
    <section>
      <h1>Cart</h1>
      <table>
        <thead>
          <tr>
            <th>Product</th>
            <th>Price</th>
            <th>Quantity</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.productId} data-testid="cart-line">
              <td>{line.name}</td>
              <td>
                {line.price} {line.currency}
              </td>
              <td>
                <input
                  type="number"
                  min="0"
                  value={line.quantity}
                  aria-label={`Quantity of ${line.name}`}
                  onChange={(e) => cart.setQuantity(line.productId, Number(e.target.value))}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="price">
        Estimated total: {total.toFixed(2)} {CURRENCY} (the order is priced at today's prices)
      </p>
      {user ? (
        <button onClick={checkout} disabled={loading}>
          Place order
        </button>
      ) : (
        <p>
          <a href="#/login">Sign in</a> to place the order.
        </p>
      )}
      {error && <Problem error={error} />}
    </section>
  );
}
