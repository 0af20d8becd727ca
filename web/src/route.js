// Hash routes (#/, #/login, #/cart, #/orders, #/orders/<id>): any static server serves them.
import { useEffect, useState } from "react";

export function useRoute() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return hash.replace(/^#/, "") || "/";
}

export function navigate(path) {
  window.location.hash = path;
}
