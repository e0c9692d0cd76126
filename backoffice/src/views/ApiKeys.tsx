/** Admins manage the tenant's API keys: create one (shown once: copy it then), see each key's first characters and
 * the day it was last used, revoke one. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { ErrorBox, Loading, Section } from "../components/ui";
import { when } from "../format";
import { useAction, useLoad } from "../hooks";
import type { Me } from "../model";

interface ApiKeyView {
  id: string;
  label: string;
  prefix: string;
  created_at: string;
  last_used_on: string | null;
  revoked: boolean;
  revoked_at?: string | null;
}

export function ApiKeys({ me }: { me: Me | null }) {
  const list = useLoad(() => api<{ items: ApiKeyView[] }>("GET", "/v1/admin/api-keys"), []);
  const [label, setLabel] = useState("");
  const [created, setCreated] = useState<(ApiKeyView & { key: string }) | null>(null);
  const { busy, error, run } = useAction(list.reload);

  if (me && !me.roles.includes("admin")) return <ErrorBox error="Managing API keys needs the admin role." />;

  async function create(event: Event) {
    event.preventDefault();
    const answer = await run(() => api<ApiKeyView & { key: string }>("POST", "/v1/admin/api-keys", { label: label.trim() }));
    if (answer) {
      setCreated(answer);
      setLabel("");
    }
  }

  return (
    <div class="api-keys">
      <h1>API keys</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Section title="Create a key" id="create-key">
        <form class="invite-form" onSubmit={create}>
          <label>
            What it is for
            <input type="text" name="key-label" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Create key
          </button>
        </form>
        {created && (
          <p class="notice" role="status" data-testid="new-key">
            Copy this key now: it is not shown again. <code data-testid="new-key-value">{created.key}</code>
          </p>
        )}
      </Section>
      <Section title="The tenant's keys" id="keys">
        {list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading what="the keys" />
        ) : (
          <table class="reviewers-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>For</th>
                <th>Created</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.label || "—"}</td>
                  <td>{when(k.created_at)}</td>
                  <td>{k.last_used_on ?? "never"}</td>
                  <td>
                    {k.revoked ? (
                      <span class="muted">revoked</span>
                    ) : (
                      <button type="button" class="link" disabled={busy} onClick={() => void run(() => api("DELETE", `/v1/admin/api-keys/${encodeURIComponent(k.id)}`))}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
