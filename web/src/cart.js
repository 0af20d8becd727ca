// The cart lives in the browser (the API has orders, not carts): product id → line,
// kept in localStorage.
import { useSyncExternalStore } from "react";

const KEY = "polyshop.cart";
const listeners = new Set();
let lines = load();

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? [];
  } catch {
    return [];
  }
}

function save(next) {
  lines = next;
  localStorage.setItem(KEY, JSON.stringify(lines));
  listeners.forEach((listener) => listener());
}

export const cart = {
  add(product) {
    const found = lines.find((line) => line.productId === product.id);
    save(
      found
        ? lines.map((line) =>
            line === found ? { ...line, quantity: line.quantity + 1 } : line,
          )
        : [
            ...lines,
            {
              productId: product.id,
              name: product.name,
              price: product.price,
              currency: product.currency,
              quantity: 1,
            },
          ],
    );
  },
  setQuantity(productId, quantity) {
    save(
      quantity > 0
        ? lines.map((line) => (line.productId === productId ? { ...line, quantity } : line))
        : lines.filter((line) => line.productId !== productId),
    );
  },
  clear() {
    save([]);
  },
};

/** The cart's lines; re-renders when they change. */
export function useCart() {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => lines,
  );
}

/** An idempotency key (works outside secure contexts too, unlike crypto.randomUUID). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
