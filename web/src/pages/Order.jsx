import { useMutation, useQuery } from "@apollo/client";
import { useEffect, useState } from "react";

import { newKey } from "../cart.js";
import { ORDER_PAGE, PAY_ORDER, SETTLED } from "../operations.js";
import { Problem } from "./Problem.jsx";

const POLL_MS = 700;
const NOTIFY_GRACE_MS = 30_000;

/** Poll a query while the order may still change by itself (the checkout saga runs). */
function usePollWhile(query, active) {
  const { startPolling, stopPolling } = query;
  useEffect(() => {
    if (active) startPolling(POLL_MS);
    else stopPolling();
    return () => stopPolling();
  }, [active, startPolling, stopPolling]);
}

export function Order({ id }) {
  const page = useQuery(ORDER_PAGE, { variables: { id } });
  const status = page.data?.order?.status;
  const settled = Boolean(status) && SETTLED.has(status);
  // After the order settles, its last e-mail may still be on its way: keep polling while a
  // notification is PENDING, for NOTIFY_GRACE_MS at most.
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    if (!settled) return undefined;
    const timer = setTimeout(() => setGraceOver(true), NOTIFY_GRACE_MS);
    return () => clearTimeout(timer);
  }, [settled]);
  const notifications = page.data?.order?.user?.notifications;
  const pending = notifications ? notifications.some((n) => n.status === "PENDING") : true;
  usePollWhile(page, !settled || (pending && !graceOver));
  if (page.error) return <Problem error={page.error} />;
  if (page.loading && !page.data) return <p>Loading the order…</p>;
  const order = page.data.order;
  if (!order) return <p>No such order.</p>;
  return (
    <section>
      <h1>Order #{order.number}</h1>
      <p>
        Status:{" "}
        <strong className={`status ${order.status}`} data-testid="order-status">
          {order.status}
        </strong>
        {order.cancelReason && <span className="muted"> ({order.cancelReason})</span>}
      </p>
      <table>
        <thead>
          <tr>
            <th>Product</th>
            <th>Quantity</th>
            <th>Unit price</th>
            <th>Total</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr key={item.id}>
              <td>{item.product.name}</td>
              <td>{item.quantity}</td>
              <td>{item.unitPrice}</td>
              <td>{item.totalPrice}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="price" data-testid="order-total">
        Total: {order.totalAmount} {order.currency}
      </p>
      {order.status === "CREATED" && <p className="muted">Reserving stock…</p>}
      {order.status === "PENDING_PAYMENT" && <PaymentForm order={order} />}
      <SlowParts order={order} />
    </section>
  );
}

/** The payment and the notifications: the deferred parts of ORDER_PAGE (see operations.js),
 * absent from the order until the router sends them. */
function SlowParts({ order }) {
  return (
    <>
      <h2>Payment</h2>
      {order.payments === undefined ? (
        <p className="muted" data-testid="payment-loading">Loading the payment…</p>
      ) : order.payments.length === 0 ? (
        <p className="muted">Not paid yet.</p>
      ) : (
        <ul data-testid="payments">
          {order.payments.map((payment) => (
            <li key={payment.id}>
              <span className={`status ${payment.status}`} data-testid="payment-status">
                {payment.status}
              </span>{" "}
              {payment.amount} {payment.currency} by {payment.cardBrand} ····{payment.cardLast4}
              {payment.failureReason && <span className="muted"> ({payment.failureReason})</span>}
            </li>
          ))}
        </ul>
      )}
      <h2>Notifications</h2>
      {order.user === undefined ? (
        <p className="muted">Loading notifications…</p>
      ) : order.user.notifications.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul data-testid="notifications">
          {order.user.notifications.map((notification) => (
            <li key={notification.id}>
              {notification.subject ?? notification.channel}{" "}
              <span className="muted">
                ({notification.status}, {new Date(notification.createdAt).toLocaleString()})
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const RETRIES = 20;

function PaymentForm({ order }) {
  const [card, setCard] = useState({ number: "", exp: "", cvc: "" });
  const [key] = useState(newKey);
  const [payOrder, { loading, error }] = useMutation(PAY_ORDER, {
    refetchQueries: [ORDER_PAGE],
  });
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const [month, year] = card.exp.split("/").map((part) => Number(part.trim()));
    const variables = {
      orderId: order.id,
      key,
      card: {
        number: card.number.replace(/\s+/g, ""),
        expMonth: month,
        expYear: year < 100 ? 2000 + year : year,
        cvc: card.cvc,
      },
    };
    setBusy(true);
    // Payments learns of the order from an event: right after the order awaits payment it
    // may not know it yet (NOT_FOUND); the same idempotency key makes a retry safe.
    for (let attempt = 0; ; attempt++) {
      try {
        await payOrder({ variables });
        break;
      } catch (failure) {
        const notYet = failure.graphQLErrors?.some((e) => e.extensions?.code === "NOT_FOUND");
        if (!notYet || attempt >= RETRIES) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    setBusy(false);
  }

  const field = (name) => ({
    name,
    value: card[name],
    onChange: (e) => setCard({ ...card, [name]: e.target.value }),
    required: true,
  });
  return (
    <form onSubmit={submit} className="narrow" data-testid="payment-form">
      <h2>Pay {order.totalAmount} {order.currency}</h2>
      <label>
        Card number
        <input {...field("number")} inputMode="numeric" autoComplete="cc-number" placeholder="4242 4242 4242 4242" />
      </label>
      <label>
        Expiry (MM/YY)
        <input {...field("exp")} autoComplete="cc-exp" placeholder="12/30" />
      </label>
      <label>
        CVC
        <input {...field("cvc")} inputMode="numeric" autoComplete="cc-csc" placeholder="123" />
      </label>
      <button type="submit" disabled={loading || busy}>
        Pay
      </button>
      <p className="muted">Sandbox: 4242 4242 4242 4242 is approved, 4000 0000 0000 0002 declined.</p>
      {error && !busy && <Problem error={error} />}
    </form>
  );
}
