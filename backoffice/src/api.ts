/** The reviewers' API (`/v1/review`): one fetch wrapper, typed errors, and the session's expiry. */
import { currentSession, signOut } from "./auth";
import type { SiteConfig } from "./config";
import { here, navigate } from "./router";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, any> = {},
  ) {
    super(message);
  }
}

let config: SiteConfig | null = null;

export function configureApi(site: SiteConfig): void {
  config = site;
}

/** The session ended (expired or refused): back to sign-in, remembering the page. */
export function sessionExpired(): void {
  signOut();
  const next = here();
  navigate(`/signin?next=${encodeURIComponent(next)}&expired=1`, true);
}

/** A request with the session's token; 401 ends the session, another error status is an ApiError. */
async function send(method: string, path: string, body?: unknown): Promise<Response> {
  if (!config) throw new Error("the API is not configured");
  const session = currentSession();
  if (!session) {
    sessionExpired();
    throw new ApiError(401, "Your session has ended; sign in again.");
  }
  let response: Response;
  try {
    response = await fetch(config.apiUrl + path, {
      method,
      headers: {
        Authorization: `Bearer ${session.idToken}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check your connection and retry.");
  }
  if (response.status === 401 || !response.ok) {
    const text = await response.text();
    let data: any = {};
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { message: text };
    }
    if (response.status === 401) {
      sessionExpired();
      throw new ApiError(401, "Your session has ended; sign in again.", data);
    }
    throw new ApiError(response.status, data.message || `The server answered ${response.status}.`, data);
  }
  return response;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const text = await (await send(method, path, body)).text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  return data as T;
}

/** GET a file (a CSV export) and save it as `filename`; whether the server said it cut the export. */
export async function download(path: string, filename: string): Promise<{ truncated: boolean }> {
  const response = await send("GET", path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { truncated: response.headers.get("X-Export-Truncated") === "true" };
}

export function query(params: Record<string, string | string[] | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
