/** Loading data with its three states, actions with theirs, and keyboard shortcuts that stay out of form fields. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { ApiError } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    load()
      .then((value) => live && setData(value))
      .catch((exc) => live && setError(exc))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface Action {
  busy: boolean;
  error: string | null;
  /** Runs `call` with the action busy; its error is kept to show (null is answered), and `after` runs either way. */
  run: <T>(call: () => Promise<T>) => Promise<T | null>;
}

export function useAction(after: () => void): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run<T>(call: () => Promise<T>): Promise<T | null> {
    setBusy(true);
    setError(null);
    try {
      return await call();
    } catch (exc) {
      setError(exc instanceof ApiError || exc instanceof Error ? exc.message : String(exc));
      return null;
    } finally {
      setBusy(false);
      after();
    }
  }
  return { busy, error, run };
}

export function useKeys(bindings: Record<string, (event: KeyboardEvent) => void>): void {
  const ref = useRef(bindings);
  ref.current = bindings;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable)) return;
      if (document.querySelector("dialog[open]")) return;
      const handler = ref.current[event.key];
      if (handler) {
        event.preventDefault();
        handler(event);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** The ids of the queue page last shown, so the case view can go to the next or previous case. */
export const queueOrder = {
  save(ids: string[], search: string) {
    sessionStorage.setItem("arbiter.queue", JSON.stringify({ ids, search }));
  },
  load(): { ids: string[]; search: string } {
    try {
      return JSON.parse(sessionStorage.getItem("arbiter.queue") || "") as { ids: string[]; search: string };
    } catch {
      return { ids: [], search: "" };
    }
  },
};
