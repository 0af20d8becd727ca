import { useApolloClient, useMutation } from "@apollo/client";
import { useState } from "react";

import { navigate } from "../route.js";
import { LOGIN } from "../operations.js";
import { session } from "../session.js";
import { Problem } from "./Problem.jsx";

export function Login() {
  const client = useApolloClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [login, { loading, error }] = useMutation(LOGIN);

  async function submit(event) {
    event.preventDefault();
    try {
      const { data } = await login({ variables: { email, password } });
      session.signIn(data.login.accessToken, data.login.user);
      await client.resetStore(); // another user's orders must not stay in the cache
      if (window.location.hash === "#/login") navigate("/");
    } catch {
      // shown below from `error`
    }
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <label>
          E-mail
          <input
            name="email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <button type="submit" disabled={loading}>
          Sign in
        </button>
      </form>
      {error && <Problem error={error} />}
      <p className="muted">Demo users: alice@example.com, bob@example.com (password polyshop-demo).</p>
    </section>
  );
}
