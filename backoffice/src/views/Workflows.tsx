/** Admins manage the tenant's workflows without a deploy: see each workflow's versions, edit a version's definition
 * as JSON and save it as a draft (the API names a wrong field), publish a draft for the cases that start from then on,
 * roll back to an earlier version; and set how long decided cases' documents are kept. */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { ErrorBox, Loading, Section } from "../components/ui";
import { when } from "../format";
import { useLoad } from "../hooks";
import type { Me } from "../model";

interface WorkflowItem {
  id: string;
  name: string;
  builtin: boolean;
  opened_by: string;
  current_version: number | null;
  latest_version: number;
}

interface VersionSummary {
  version: number;
  name: string;
  status: "draft" | "published" | "builtin";
  created_at: string | null;
  created_by: string | null;
}

interface WorkflowDetail {
  id: string;
  name: string;
  current_version: number | null;
  latest_version: number;
  versions: VersionSummary[];
}

export function Workflows({ me }: { me: Me | null }) {
  const list = useLoad(() => api<{ items: WorkflowItem[] }>("GET", "/v1/admin/workflows"), []);
  const [selected, setSelected] = useState<string | null>(null);
  if (me && !me.roles.includes("admin")) return <ErrorBox error="Managing workflows needs the admin role." />;
  return (
    <div class="workflows-admin">
      <h1>Workflows</h1>
      <Section title="The tenant's workflows" id="workflow-list">
        {list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading what="the workflows" />
        ) : (
          <table class="reviewers-table">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>New cases start on</th>
                <th>Newest version</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.items
                .filter((w) => w.opened_by === "integrator")
                .map((w) => (
                  <tr key={w.id} data-workflow={w.id}>
                    <td>
                      {w.name} <span class="muted">{w.id}</span>
                    </td>
                    <td>{w.current_version ? `v${w.current_version}` : "nothing published"}</td>
                    <td>v{w.latest_version}</td>
                    <td>
                      <button type="button" class="link" onClick={() => setSelected(w.id)}>
                        Versions
                      </button>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </Section>
      {selected && <WorkflowVersions key={selected} id={selected} onChanged={list.reload} />}
      <Retention />
    </div>
  );
}

function WorkflowVersions({ id, onChanged }: { id: string; onChanged: () => void }) {
  const detail = useLoad(() => api<WorkflowDetail>("GET", `/v1/admin/workflows/${encodeURIComponent(id)}`), [id]);
  const [version, setVersion] = useState<number | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const shown = version ?? detail.data?.current_version ?? detail.data?.latest_version ?? null;

  useEffect(() => {
    if (shown === null) return;
    void api("GET", `/v1/admin/workflows/${encodeURIComponent(id)}/versions/${shown}`).then((body) => setText(JSON.stringify(body, null, 2)));
  }, [id, shown]);

  async function run(call: () => Promise<any>, done: (answer: any) => string) {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await call();
      setMessage({ kind: "ok", text: done(answer) });
      detail.reload();
      onChanged();
      if (answer?.version) setVersion(answer.version);
    } catch (exc) {
      setMessage({ kind: "error", text: exc instanceof ApiError || exc instanceof Error ? exc.message : String(exc) });
    } finally {
      setBusy(false);
    }
  }

  function save() {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (exc) {
      setMessage({ kind: "error", text: `The definition is not JSON: ${(exc as Error).message}` });
      return;
    }
    void run(() => api("POST", "/v1/admin/workflows", body), (a) => `Saved as version ${a.version} (a draft: publish it for new cases).`);
  }

  if (detail.error) return <ErrorBox error={detail.error} retry={detail.reload} />;
  if (!detail.data) return <Loading what="the versions" />;
  const base = `/v1/admin/workflows/${encodeURIComponent(id)}`;
  return (
    <Section title={`${detail.data.name} (${id})`} id="workflow-versions">
      <table class="reviewers-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Status</th>
            <th>Saved</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {detail.data.versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                v{v.version}
                {v.version === detail.data!.current_version && <span class="badge"> new cases</span>}
              </td>
              <td>{v.status}</td>
              <td>{v.created_at ? `${when(v.created_at)} by ${v.created_by ?? "?"}` : "shipped with Arbiter"}</td>
              <td>
                <button type="button" class="link" onClick={() => setVersion(v.version)}>
                  Show
                </button>{" "}
                {v.status === "draft" && (
                  <button type="button" class="link" disabled={busy} onClick={() => void run(() => api("POST", `${base}/versions/${v.version}/publish`), () => `Version ${v.version} published: cases that start from now on run it.`)}>
                    Publish
                  </button>
                )}
                {v.version !== detail.data!.current_version && v.status !== "draft" && (
                  <button type="button" class="link" disabled={busy} onClick={() => void run(() => api("POST", `${base}/rollback`, { version: v.version }), (a) => `Version ${v.version} is current again (as version ${a.version}).`)}>
                    Roll back to it
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && (
        <p class={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"} data-testid="workflow-message">
          {message.text}
        </p>
      )}
      <label class="definition-editor">
        Definition of v{shown} (edit and save as a new draft)
        <textarea name="definition" rows={18} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="button" class="primary" disabled={busy} onClick={save}>
        Save as draft
      </button>
    </Section>
  );
}

function Retention() {
  const current = useLoad(() => api<{ days: number | null }>("GET", "/v1/admin/settings/document-retention"), []);
  const [days, setDays] = useState("");
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  useEffect(() => {
    if (current.data) setDays(current.data.days === null ? "" : String(current.data.days));
  }, [current.data]);

  async function save(event: Event) {
    event.preventDefault();
    setMessage(null);
    try {
      const answer = await api<{ days: number | null }>("PUT", "/v1/admin/settings/document-retention", { days: days.trim() ? Number(days) : null });
      setMessage({ kind: "ok", text: answer.days === null ? "Documents are kept until erased." : `Documents are deleted ${answer.days} days after a decision.` });
      current.reload();
    } catch (exc) {
      setMessage({ kind: "error", text: exc instanceof Error ? exc.message : String(exc) });
    }
  }

  return (
    <Section title="Document retention" id="retention">
      <form class="invite-form" onSubmit={save}>
        <label>
          Days after a decision (empty: keep)
          <input type="number" name="retention-days" min={1} max={3650} value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">
          Save
        </button>
      </form>
      {message && (
        <p class={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"} data-testid="retention-message">
          {message.text}
        </p>
      )}
    </Section>
  );
}
