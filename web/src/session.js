// The signed-in user (token and who), kept in localStorage so a reload stays signed in.
import { useSyncExternalStore } from "react";

const KEY = "polyshop.session";
const listeners = new Set();

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? null;
  } catch {
    return null;
  }
}

let current = read();

export const session = {
  token: () => current?.token ?? null,
  user: () => current?.user ?? null,
  signIn(token, user) {
    current = { token, user };
    localStorage.setItem(KEY, JSON.stringify(current));
    listeners.forEach((listener) => listener());
  },
  signOut() {
    current = null;
    localStorage.removeItem(KEY);
    listeners.forEach((listener) => listener());
  },
};

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The signed-in user ({ id, email, name }) or null; re-renders on sign-in and sign-out. */
export function useUser() {
  return useSyncExternalStore(subscribe, () => current?.user ?? null);
}
