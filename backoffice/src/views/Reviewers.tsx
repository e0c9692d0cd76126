/** Admins manage the tenant's reviewers: invite one by e-mail with their roles (Cognito e-mails a temporary
 * password; the first sign-in replaces it and sets up an authenticator app), change roles, switch accounts off. */
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { ErrorBox, Loading, Section } from "../components/ui";
import { useLoad } from "../hooks";
import type { Me, Reviewer } from "../model";

const ROLES = ["viewer", "reviewer", "senior", "admin"] as const;

export function Reviewers({ me }: { me: Me | null }) {
  const list = useLoad(() => api<{ items: Reviewer[] }>("GET", "/v1/review/reviewers"), []);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<string>("reviewer");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  if (me && !me.roles.includes("admin")) return <ErrorBox error="Managing reviewers needs the admin role." />;

  async function run(call: () => Promise<unknown>, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      await call();
      setMessage({ kind: "ok", text: done });
      list.reload();
      return true;
    } catch (exc) {
      setMessage({ kind: "error", text: exc instanceof ApiError || exc instanceof Error ? exc.message : String(exc) });
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function invite(event: Event) {
    event.preventDefault();
    const body = { email: email.trim(), roles: [role], ...(name.trim() ? { name: name.trim() } : {}) };
    if (await run(() => api("POST", "/v1/admin/reviewers", body), `${body.email} is invited: Cognito e-mails them a temporary password.`)) {
      setEmail("");
      setName("");
    }
  }

  const change = (reviewer: Reviewer, update: { roles?: string[]; enabled?: boolean }, done: string) =>
    run(() => api("PATCH", `/v1/admin/reviewers/${encodeURIComponent(reviewer.id)}`, update), done);

  return (
    <div class="reviewers">
      <h1>Reviewers</h1>
      {message && (
        <p class={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"} data-testid="reviewers-message">
          {message.text}
        </p>
      )}
      <Section title="Invite a reviewer" id="invite">
        <form class="invite-form" onSubmit={invite}>
          <label>
            E-mail
            <input type="email" name="invite-email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Name (optional)
            <input type="text" name="invite-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Role
            <select name="invite-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Invite
          </button>
        </form>
      </Section>
      <Section title="The tenant's reviewers" id="directory">
        {list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading what="the reviewers" />
        ) : (
          <table class="reviewers-table">
            <thead>
              <tr>
                <th>Reviewer</th>
                <th>Role</th>
                <th>Account</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => {
                const self = !!me && (r.id === me.id || r.email === me.email);
                const top = ROLES.filter((x) => r.roles.includes(x)).pop() ?? "";
                return (
                  <tr key={r.id} data-reviewer={r.email ?? r.id}>
                    <td>
                      {r.name ? `${r.name} ` : ""}
                      <span class="muted">{r.email ?? r.id}</span>
                    </td>
                    <td>
                      <select
                        aria-label={`Role of ${r.email ?? r.id}`}
                        value={top}
                        disabled={busy || self}
                        onChange={(e) => {
                          const next = (e.target as HTMLSelectElement).value;
                          void change(r, { roles: [next] }, `${r.email ?? r.id} is now ${next}.`);
                        }}
                      >
                        {ROLES.map((x) => (
                          <option key={x} value={x}>
                            {x}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      {r.enabled ? "active" : "switched off"}{" "}
                      {!self && (
                        <button
                          type="button"
                          class="link"
                          disabled={busy}
                          onClick={() => void change(r, { enabled: !r.enabled }, `${r.email ?? r.id} is ${r.enabled ? "switched off" : "active again"}.`)}
                        >
                          {r.enabled ? "Switch off" : "Switch on"}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
