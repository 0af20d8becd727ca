import { useCart } from "./cart.js";
import { Cart } from "./pages/Cart.jsx";
import { Login } from "./pages/Login.jsx";
import { Order } from "./pages/Order.jsx";
import { Orders } from "./pages/Orders.jsx";
import { Products } from "./pages/Products.jsx";
import { useRoute } from "./route.js";
import { session, useUser } from "./session.js";

function Page({ route, user }) {
  const order = route.match(/^\/orders\/(.+)$/);
  if (route === "/login") return <Login />;
  if (route === "/cart") return <Cart />;
  if ((route === "/orders" || order) && !user) return <Login />;
  if (route === "/orders") return <Orders />;
  if (order) return <Order id={decodeURIComponent(order[1])} />;
  return <Products />;
}

export function App() {
  const route = useRoute();
  const user = useUser();
  const lines = useCart();
  const count = lines.reduce((sum, line) => sum + line.quantity, 0);
  return (
    <>
      <header>
        <a className="brand" href="#/">
          PolyShop
        </a>
        <nav>
          <a href="#/">Products</a>
          <a href="#/cart" data-testid="cart-link">
            Cart ({count})
          </a>
          {user && <a href="#/orders">Orders</a>}
          {user ? (
            <span className="who">
              Signed in as <strong data-testid="signed-in">{user.email}</strong>{" "}
              <button className="link" onClick={() => session.signOut()}>
                Sign out
              </button>
            </span>
          ) : (
            <a href="#/login">Sign in</a>
          )}
        </nav>
      </header>
      <main>
        <Page route={route} user={user} />
      </main>
    </>
  );
}
