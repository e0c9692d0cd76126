/** A small history router: the path is the page, the query string holds the page's filters. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "signin"; next: string }
  | { page: "queue" }
  | { page: "case"; id: string }
  | { page: "dashboard" }
  | { page: "reviewers" }
  | { page: "api-keys" }
  | { page: "webhooks" }
  | { page: "workflows" }
  | { page: "rule-sets"; id?: string; version?: number }
  | { page: "alerts" }
  | { page: "alert"; id: string }
  | { page: "missing" };

export function parse(location: Location = window.location): Route {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const params = new URLSearchParams(location.search);
  if (path === "/signin") return { page: "signin", next: params.get("next") || "/" };
  if (path === "/") return { page: "queue" };
  if (path === "/dashboard") return { page: "dashboard" };
  if (path === "/admin/reviewers") return { page: "reviewers" };
  if (path === "/admin/api-keys") return { page: "api-keys" };
  if (path === "/admin/webhooks") return { page: "webhooks" };
  if (path === "/admin/workflows") return { page: "workflows" };
  if (path === "/admin/rule-sets") return { page: "rule-sets" };
  const ruleSet = /^\/admin\/rule-sets\/([^/]+)$/.exec(path);
  if (ruleSet) {
    const version = Number(params.get("version"));
    return { page: "rule-sets", id: decodeURIComponent(ruleSet[1]), version: Number.isInteger(version) && version > 0 ? version : undefined };
  }
  if (path === "/alerts") return { page: "alerts" };
  const alert = /^\/alerts\/([^/]+)$/.exec(path);
  if (alert) return { page: "alert", id: decodeURIComponent(alert[1]) };
  const match = /^\/cases\/([^/]+)$/.exec(path);
  if (match) return { page: "case", id: decodeURIComponent(match[1]) };
  return { page: "missing" };
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event("arbiter:navigate"));
}

/** Where the reviewer is now (path and query), to come back to after signing in again. */
export function here(): string {
  return window.location.pathname + window.location.search;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const update = () => setRoute(parse());
    window.addEventListener("popstate", update);
    window.addEventListener("arbiter:navigate", update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener("arbiter:navigate", update);
    };
  }, []);
  return route;
}

/** Same-origin paths only, so a crafted `next` cannot send the reviewer elsewhere. */
export function safeNext(next: string): string {
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** An in-app link: plain clicks navigate without reloading; modified clicks open as the browser would. */
export function link(to: string) {
  return (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(to);
  };
}
