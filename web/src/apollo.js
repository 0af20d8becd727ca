// The one Apollo Client of the app: the router's URL comes from /config.js (written by the
// server that serves the page), the user's access token rides in the Authorization header.
import { ApolloClient, HttpLink, InMemoryCache, from } from "@apollo/client";
import { setContext } from "@apollo/client/link/context";
import { onError } from "@apollo/client/link/error";

import { session } from "./session.js";

export const graphqlUrl = window.POLYSHOP_CONFIG?.graphqlUrl ?? "http://127.0.0.1:4000/graphql";

const withToken = setContext((_operation, { headers }) => {
  const token = session.token();
  return { headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers };
});

// An expired or revoked token: sign out, so the page asks for a new sign-in instead of
// repeating the refused call.
const signOutWhenRefused = onError(({ graphQLErrors }) => {
  if (session.token() && graphQLErrors?.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
    session.signOut();
  }
});

export const client = new ApolloClient({
  link: from([signOutWhenRefused, withToken, new HttpLink({ uri: graphqlUrl })]),
  cache: new InMemoryCache({
    typePolicies: {
      // Stock and prices change under us: never merge stale nested objects.
      Product: { fields: { stock: { merge: false } } },
      Order: { fields: { items: { merge: false }, payments: { merge: false } } },
      User: { fields: { notifications: { merge: false } } },
    },
  }),
});
