import { useQuery } from "@apollo/client";

import { MY_ORDERS } from "../operations.js";
import { Problem } from "./Problem.jsx";

export function Orders() {
  const { data, loading, error } = useQuery(MY_ORDERS, {
    variables: { first: 50 },
    fetchPolicy: "cache-and-network",
  });
  if (error) return <Problem error={error} />;
  if (loading && !data) return <p>Loading your orders…</p>;
  const orders = data.myOrders.edges.map((edge) => edge.node);
  return (
    <section>
      <h1>Your orders</h1>
      {orders.length === 0 ? (
        <p>No orders yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Order</th>
              <th>Placed</th>
              <th>Status</th>
              <th>Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id} data-testid="order-row">
                <td>
                  <a href={`#/orders/${encodeURIComponent(order.id)}`}>#{order.number}</a>
                </td>
                <td>{new Date(order.createdAt).toLocaleString()}</td>
                <td className={`status ${order.status}`}>{order.status}</td>
                <td>
                  {order.totalAmount} {order.currency}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
