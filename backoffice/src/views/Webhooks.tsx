/** Admins manage the tenant's webhooks: subscribe a URL to events from the catalog (the signing secret is shown once:
 * copy it then), change the events, switch one off or on, rotate its secret, delete it, send a test ping and read the
 * receiver's answer, and follow its deliveries, redelivering one. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { ErrorBox, Loading, Section } from "../components/ui";
import { when } from "../format";
import { useAction, useLoad } from "../hooks";
import type { Me } from "../model";

interface LastDelivery {
  id: string;
  event_type: string;
  status: string;
  last_status_code: number | null;
  last_error: string | null;
  attempts: number;
  updated_at: string;
}

interface WebhookView {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
  signing_secrets: number;
  last_delivery?: LastDelivery | null;
}

interface EventType {
  type: string;
  description: string;
}

interface Attempt {
  number: number;
  round: number;
  at: string;
  success: boolean;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string;
}

interface Delivery {
  id: string;
  event_type: string;
  case_id: string | null;
  status: string;
  round: number;
  total_attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

interface Change {
  at: string;
  actor: { type: string; id: string; email?: string | null };
  action: string;
  fields: string[];
  url: string;
  event_types: string[];
  enabled: boolean;
}

const ACTIONS: Record<string, string> = { created: "Subscribed", changed: "Changed", secret_rotated: "Secret rotated", deleted: "Deleted" };

const base = "/v1/admin/webhooks";
const path = (id: string) => `${base}/${encodeURIComponent(id)}`;

function outcome(status: string, code: number | null, error: string | null): string {
  const answer = code != null ? `HTTP ${code}` : error ? error : "no answer yet";
  return `${status[0].toUpperCase()}${status.slice(1)} (${answer})`;
}

function EventPicker({ catalog, chosen, onChange, name }: { catalog: EventType[]; chosen: string[]; onChange: (types: string[]) => void; name: string }) {
  return (
    <fieldset class="event-picker" data-testid={`${name}-events`}>
      <legend>Events</legend>
      {catalog.map((e) => (
        <label key={e.type} title={e.description}>
          <input
            type="checkbox"
            name={name}
            value={e.type}
            checked={chosen.includes(e.type)}
            onChange={(ev) => {
              const on = (ev.target as HTMLInputElement).checked;
              onChange(on ? [...chosen, e.type] : chosen.filter((t) => t !== e.type));
            }}
          />{" "}
          <code>{e.type}</code> <span class="muted">{e.description}</span>
        </label>
      ))}
    </fieldset>
  );
}

function SecretOnce({ secret, what }: { secret: string; what: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <p class="notice" role="status" data-testid="new-secret">
      {what} Copy this signing secret now: it is not shown again. <code data-testid="new-secret-value">{secret}</code>{" "}
      <button
        type="button"
        class="link"
        onClick={() =>
          navigator.clipboard
            .writeText(secret)
            .then(() => setCopied("Copied."))
            .catch(() => setCopied("Select it and copy it by hand."))
        }
      >
        Copy
      </button>{" "}
      {copied && <span class="muted">{copied}</span>}
    </p>
  );
}

function Deliveries({ hook, onChanged }: { hook: WebhookView; onChanged: () => void }) {
  const list = useLoad(() => api<{ items: Delivery[] }>("GET", `${path(hook.id)}/deliveries?limit=25`), [hook.id]);
  const [message, setMessage] = useState<string | null>(null);
  const [attempts, setAttempts] = useState<{ id: string; log: Attempt[] } | null>(null);

  async function redeliver(delivery: Delivery) {
    setMessage(null);
    try {
      await api("POST", `${path(hook.id)}/deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
      setMessage(`${delivery.event_type} is being delivered again.`);
    } catch (exc) {
      setMessage(exc instanceof Error ? exc.message : String(exc));
    }
    list.reload();
    onChanged();
  }

  async function show(delivery: Delivery) {
    const detail = await api<{ attempt_log: Attempt[] }>("GET", `${path(hook.id)}/deliveries/${encodeURIComponent(delivery.id)}`);
    setAttempts({ id: delivery.id, log: detail.attempt_log });
  }

  return (
    <Section title={`Deliveries to ${hook.url}`} id="deliveries">
      <p>
        <button type="button" class="link" onClick={list.reload}>
          Refresh
        </button>
      </p>
      {message && (
        <p class="notice" role="status" data-testid="delivery-message">
          {message}
        </p>
      )}
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="the deliveries" />
      ) : list.data.items.length === 0 ? (
        <p class="muted">Nothing delivered yet.</p>
      ) : (
        <table class="reviewers-table">
          <thead>
            <tr>
              <th>Event</th>
              <th>Case</th>
              <th>Result</th>
              <th>Attempts</th>
              <th>Last change</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((d) => (
              <tr key={d.id} data-delivery-id={d.id} data-event-type={d.event_type}>
                <td>
                  <code>{d.event_type}</code>
                </td>
                <td>{d.case_id ?? "—"}</td>
                <td>{outcome(d.status, d.last_status_code, d.last_error)}</td>
                <td>{d.total_attempts}</td>
                <td>{when(d.updated_at)}</td>
                <td>
                  <button type="button" class="link" onClick={() => void show(d)}>
                    Attempts
                  </button>{" "}
                  <button type="button" class="link" disabled={d.status === "pending" && d.event_type !== "webhook.test"} onClick={() => void redeliver(d)}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {attempts && (
        <table class="reviewers-table" data-testid="attempt-log">
          <caption>Attempts of {attempts.id}</caption>
          <thead>
            <tr>
              <th>Round</th>
              <th>#</th>
              <th>At</th>
              <th>Answer</th>
              <th>ms</th>
              <th>Receiver said</th>
            </tr>
          </thead>
          <tbody>
            {attempts.log.map((a) => (
              <tr key={`${a.round}-${a.number}`}>
                <td>{a.round}</td>
                <td>{a.number}</td>
                <td>{when(a.at)}</td>
                <td>{a.status_code != null ? `HTTP ${a.status_code}` : a.error}</td>
                <td>{a.latency_ms}</td>
                <td>
                  <code>{a.response_excerpt}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function History({ hook }: { hook: WebhookView }) {
  const trail = useLoad(() => api<{ items: Change[] }>("GET", `${path(hook.id)}/changes`), [hook.id, hook.updated_at]);
  return (
    <Section title={`History of ${hook.url}`} id="webhook-history">
      {trail.error ? (
        <ErrorBox error={trail.error} retry={trail.reload} />
      ) : !trail.data ? (
        <Loading what="the history" />
      ) : (
        <ol class="webhook-history">
          {trail.data.items.map((c, i) => (
            <li key={i}>
              {when(c.at)}: <strong>{ACTIONS[c.action] ?? c.action}</strong>
              {c.fields.length > 0 && ` (${c.fields.join(", ")})`} by {c.actor.email ?? `${c.actor.type} ${c.actor.id}`}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

export function Webhooks({ me }: { me: Me | null }) {
  const list = useLoad(() => api<{ items: WebhookView[] }>("GET", `${base}?limit=100`), []);
  const catalog = useLoad(() => api<{ items: EventType[] }>("GET", `${base}/event-types`), []);
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState<string[]>(["case.decided"]);
  const [secret, setSecret] = useState<{ value: string; what: string } | null>(null);
  const [editing, setEditing] = useState<{ id: string; types: string[]; url: string } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [following, setFollowing] = useState<string | null>(null);
  const [reading, setReading] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<string | null>(null);
  const { busy, error, run } = useAction(list.reload);

  if (me && !me.roles.includes("admin")) return <ErrorBox error="Managing webhooks needs the admin role." />;

  async function create(event: Event) {
    event.preventDefault();
    const made = await run(() => api<WebhookView & { secret: string }>("POST", base, { url: url.trim(), event_types: types }));
    if (made) {
      setSecret({ value: made.secret, what: `Subscribed ${made.url}.` });
      setUrl("");
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    if (!editing) return;
    const saved = await run(() => api<WebhookView>("PATCH", path(editing.id), { url: editing.url.trim(), event_types: editing.types }));
    if (saved) setEditing(null);
  }

  async function rotate(hook: WebhookView) {
    const rotated = await run(() => api<WebhookView & { secret: string }>("POST", `${path(hook.id)}/rotate-secret`, {}));
    if (rotated) setSecret({ value: rotated.secret, what: `New secret for ${hook.url} (the old one signs beside it for 24 hours).` });
  }

  async function sendTest(hook: WebhookView) {
    setTestResult(`Sending a test to ${hook.url}…`);
    const queued = await run(() => api<{ id: string }>("POST", `${path(hook.id)}/test`));
    if (!queued) {
      setTestResult(null);
      return;
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const detail = await api<Delivery & { attempt_log: Attempt[] }>("GET", `${path(hook.id)}/deliveries/${encodeURIComponent(queued.id)}`);
      const first = detail.attempt_log[0];
      if (first) {
        const answer = first.status_code != null ? `HTTP ${first.status_code}` : `no answer (${first.error})`;
        const said = first.response_excerpt ? `: ${first.response_excerpt}` : "";
        setTestResult(`The receiver answered ${answer}${said}`);
        list.reload();
        return;
      }
      await new Promise((done) => setTimeout(done, 1000));
    }
    setTestResult("No answer recorded after 30 seconds: see the deliveries.");
  }

  const events = catalog.data?.items ?? [];
  const followed = list.data?.items.find((h) => h.id === following) ?? null;
  const read = list.data?.items.find((h) => h.id === reading) ?? null;

  return (
    <div class="webhooks">
      <h1>Webhooks</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && <SecretOnce secret={secret.value} what={secret.what} />}
      {testResult && (
        <p class="notice" role="status" data-testid="test-result">
          {testResult}
        </p>
      )}
      <Section title="Subscribe a URL" id="create-webhook">
        <form class="webhook-form" onSubmit={create}>
          <label>
            URL
            <input type="url" name="webhook-url" required value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
          </label>
          {catalog.error ? <ErrorBox error={catalog.error} retry={catalog.reload} /> : <EventPicker catalog={events} chosen={types} onChange={setTypes} name="new" />}
          <button type="submit" class="primary" disabled={busy || types.length === 0}>
            Subscribe
          </button>
        </form>
      </Section>
      <Section title="The tenant's webhooks" id="webhooks">
        {list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading what="the webhooks" />
        ) : list.data.items.length === 0 ? (
          <p class="muted">No webhook yet.</p>
        ) : (
          <table class="reviewers-table">
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>State</th>
                <th>Created</th>
                <th>Last delivery</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((h) => (
                <tr key={h.id} data-webhook-id={h.id}>
                  <td>
                    <code>{h.url}</code>
                  </td>
                  <td>{h.event_types.join(", ")}</td>
                  <td>{h.enabled ? "On" : `Off${h.disabled_reason ? ` (${h.disabled_reason})` : ""}`}</td>
                  <td>{when(h.created_at)}</td>
                  <td data-testid="last-delivery">{h.last_delivery ? `${h.last_delivery.event_type}: ${outcome(h.last_delivery.status, h.last_delivery.last_status_code, h.last_delivery.last_error)}` : "none yet"}</td>
                  <td class="actions">
                    <button type="button" class="link" disabled={busy || !h.enabled} onClick={() => void sendTest(h)}>
                      Send test
                    </button>{" "}
                    <button type="button" class="link" onClick={() => setEditing({ id: h.id, types: h.event_types, url: h.url })}>
                      Edit
                    </button>{" "}
                    <button type="button" class="link" disabled={busy} onClick={() => void run(() => api("PATCH", path(h.id), { enabled: !h.enabled }))}>
                      {h.enabled ? "Switch off" : "Switch on"}
                    </button>{" "}
                    <button type="button" class="link" disabled={busy} onClick={() => void rotate(h)}>
                      Rotate secret
                    </button>{" "}
                    <button type="button" class="link" onClick={() => setFollowing(following === h.id ? null : h.id)}>
                      Deliveries
                    </button>{" "}
                    <button type="button" class="link" onClick={() => setReading(reading === h.id ? null : h.id)}>
                      History
                    </button>{" "}
                    {deleting === h.id ? (
                      <span role="group" aria-label="Confirm deletion">
                        Delete {h.url}?{" "}
                        <button
                          type="button"
                          class="primary reject"
                          disabled={busy}
                          onClick={() =>
                            void run(() => api("DELETE", path(h.id))).then(() => {
                              setDeleting(null);
                              if (following === h.id) setFollowing(null);
                            })
                          }
                        >
                          Delete webhook
                        </button>{" "}
                        <button type="button" class="link" onClick={() => setDeleting(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button type="button" class="link" onClick={() => setDeleting(h.id)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {editing && (
        <Section title="Change the webhook" id="edit-webhook">
          <form class="webhook-form" onSubmit={save}>
            <label>
              URL
              <input type="url" name="edit-url" required value={editing.url} onInput={(e) => setEditing({ ...editing, url: (e.target as HTMLInputElement).value })} />
            </label>
            <EventPicker catalog={events} chosen={editing.types} onChange={(t) => setEditing({ ...editing, types: t })} name="edit" />
            <button type="submit" class="primary" disabled={busy || editing.types.length === 0}>
              Save
            </button>{" "}
            <button type="button" class="link" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        </Section>
      )}
      {followed && <Deliveries key={followed.id} hook={followed} onChanged={list.reload} />}
      {read && <History key={read.id} hook={read} />}
    </div>
  );
}
