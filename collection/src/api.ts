// The collection API, called with the link's token: every route is about the one case the link opens.

export type Schema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
};

export type Slot = {
  id: string;
  document_type: string;
  label: string;
  required: boolean;
  per_owner: boolean;
  show_if: Record<string, unknown> | null;
  visible: boolean;
};

export type Step = {
  id: string;
  title: string;
  description: string | null;
  data_schema: Schema;
  ui: { order?: string[]; widgets?: Record<string, string>; placeholders?: Record<string, string> };
  labels: Record<string, string>;
  visible: boolean;
  documents: Slot[];
};

/** A person a submitted application waits for (their own part not finished). */
export type WaitingPerson = { person_id: string; name: string };
export type CollectedCase = { id: string; workflow: string; entity_type: string; state: string; collecting: boolean; waiting_for?: WaitingPerson[] };

export type Journey = {
  case: CollectedCase;
  language: string;
  steps: Step[];
  data: Record<string, Record<string, unknown>>;
  resume_at: string | null;
  /** Ids of the case's documents with their pages uploaded. */
  uploaded: string[];
  /** Set while a reviewer's revision request is open: what they asked for and why. */
  revision?: { reason: string; steps: string[]; documents: string[]; fields?: string[] } | null;
  /** Owners and directors sent a link of their own: the applicant is asked none of their ID slots. */
  invited?: string[];
  /** Set for a link sent to one person: the steps are theirs, and their slots' documents `<slot id>.<person id>`. */
  person_id?: string | null;
};

export type Upload = { url: string; fields: Record<string, string> };

/** A refusal of the API: its status, message and, for bad input, the field it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string | null,
  ) {
    super(message);
  }
}

export class CollectionApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", null);
    }
    const text = await response.text();
    const payload = text ? JSON.parse(text) : {};
    if (!response.ok) throw new ApiError(response.status, String(payload.message ?? response.statusText), payload.path ?? null);
    return payload as T;
  }

  journey(language: string | null): Promise<Journey> {
    return this.call("GET", "/v1/collection/journey" + (language ? `?language=${language}` : ""));
  }

  saveStep(stepId: string, data: Record<string, unknown>, language: string): Promise<Journey> {
    return this.call("PUT", `/v1/collection/steps/${encodeURIComponent(stepId)}?language=${language}`, data);
  }

  async upload(documentId: string, documentType: string, file: File): Promise<void> {
    const declared = await this.call<{ uploads: Upload[] }>("POST", "/v1/collection/documents", {
      id: documentId,
      type: documentType,
      content_type: file.type,
      page_count: 1,
    });
    const upload = declared.uploads[0];
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    let response: Response;
    try {
      response = await fetch(upload.url, { method: "POST", body: form });
    } catch {
      throw new ApiError(0, "network", null);
    }
    if (!response.ok) throw new ApiError(response.status, "upload", null);
  }

  invite(
    people: "ubos" | "directors",
    index: number,
    email?: string,
  ): Promise<{ person_id: string; url: string; expires_at: string; email?: "sent" | "failed" | null }> {
    return this.call("POST", "/v1/collection/invitations", { people, index, ...(email ? { email } : {}) });
  }

  submit(language: string): Promise<CollectedCase> {
    return this.call("POST", `/v1/collection/submit?language=${language}`);
  }
}

/** The API's URL from config.json beside the site (the same origin when there is none). */
export async function apiBase(): Promise<string> {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) {
      const config = await response.json();
      if (typeof config.apiUrl === "string") return config.apiUrl.replace(/\/$/, "");
    }
  } catch {
    // no config: the API serves the site
  }
  return window.location.origin;
}
