/** Admins list the tenant's rule sets (`/admin/rule-sets`) and edit one (`/admin/rule-sets/{id}`): see RuleSetEditor.
 * Loaded on demand: reviewers who never open it do not download the editor. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { ErrorBox, Loading, Section } from "../components/ui";
import { when } from "../format";
import { useLoad } from "../hooks";
import type { Me } from "../model";
import { link, navigate } from "../router";
import { RuleSetEditor } from "./RuleSetEditor";
import "./rule-editor.css";

interface RuleSetItem {
  id: string;
  name: string | null;
  latest_version: number | null;
  published_version: number | null;
  updated_at: string | null;
}

export function RuleSets({ me, id, version }: { me: Me | null; id?: string; version?: number }) {
  if (me && !me.roles.includes("admin")) return <ErrorBox error="Editing rule sets needs the admin role." />;
  if (id) return <RuleSetEditor key={`${id}@${version ?? ""}`} id={id} version={version} />;
  return <RuleSetList />;
}

function RuleSetList() {
  const list = useLoad(() => api<{ items: RuleSetItem[]; cursor: string | null }>("GET", "/v1/admin/rule-sets?limit=100"), []);
  const [newId, setNewId] = useState("");
  return (
    <div class="rule-sets-admin">
      <h1>Rule sets</h1>
      <Section title="The tenant's rule sets" id="rule-set-list">
        {list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading what="the rule sets" />
        ) : list.data.items.length === 0 ? (
          <p class="muted">No rule set is saved yet.</p>
        ) : (
          <table class="reviewers-table">
            <thead>
              <tr>
                <th>Rule set</th>
                <th>New cases use</th>
                <th>Newest version</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id} data-rule-set={r.id}>
                  <td>
                    <a href={`/admin/rule-sets/${encodeURIComponent(r.id)}`} onClick={link(`/admin/rule-sets/${encodeURIComponent(r.id)}`)}>
                      {r.name ?? r.id}
                    </a>{" "}
                    <span class="muted">{r.id}</span>
                  </td>
                  <td>{r.published_version ? `v${r.published_version}` : "nothing published"}</td>
                  <td>{r.latest_version ? `v${r.latest_version}` : "—"}</td>
                  <td>{when(r.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          class="invite-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (newId.trim()) navigate(`/admin/rule-sets/${encodeURIComponent(newId.trim())}`);
          }}
        >
          <label>
            Open or start a rule set by id
            <input name="rule-set-id" pattern="[a-z0-9][a-z0-9-]{0,62}" value={newId} onInput={(e) => setNewId((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Open</button>
        </form>
      </Section>
    </div>
  );
}
