/** One rule set in the editor: its versions (who saved and published what, when, why), a version edited as forms
 * (rules with conditions built from the workflow's variables, decision tables as tables) or as JSON ("Advanced"),
 * a live preview of every edit (a dry run on a chosen past case, a backtest on the last decided cases), saving as a
 * draft and publishing with a reason. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, query } from "../api";
import { ConditionBuilder } from "../components/ConditionBuilder";
import { DecisionTableEditor } from "../components/DecisionTableEditor";
import { ErrorBox, Loading, Section } from "../components/ui";
import { when } from "../format";
import { useLoad } from "../hooks";
import { link, navigate } from "../router";
import { newClause, readCondition, writeCondition, type Variable } from "../rules/conditions";

const OUTCOMES = ["flag", "review", "reject", "approve"];
const SEVERITIES = ["info", "low", "medium", "high", "critical"];
/** What a version holds besides its content (not sent back when saving). */
const STORED_FIELDS = ["version", "status", "created_at", "created_by", "published_at", "published_by", "publish_reason"];
const PREVIEW_DELAY_MS = 600;
/** What the last save said, shown again once the saved version opens. */
let saidAfterSave: string | null = null;

interface VersionSummary {
  version: number;
  status: "draft" | "published";
  created_at: string;
  created_by?: string | null;
  published_at?: string | null;
  published_by?: string | null;
  publish_reason?: string | null;
}

interface RuleSetDetail {
  id: string;
  name: string;
  latest_version: number;
  published_version: number | null;
  versions: VersionSummary[];
}

interface Problem {
  path: string | null;
  message: string;
}

type Draft = Record<string, any>;

function content(version: Record<string, any>): Draft {
  const copy: Draft = { ...version };
  for (const field of STORED_FIELDS) delete copy[field];
  return copy;
}

/** The field an API error names: a domain error's `path`, or a validation error's first one. */
export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) {
    const body = error.body ?? {};
    const path = body.path ?? body.errors?.[0]?.path ?? null;
    return { path: typeof path === "string" ? path.replace(/^body\.(rule_set\.)?/, "") : null, message: error.message };
  }
  return { path: null, message: error instanceof Error ? error.message : String(error) };
}

export function RuleSetEditor({ id, version }: { id: string; version?: number }) {
  const base = `/v1/admin/rule-sets/${encodeURIComponent(id)}`;
  const detail = useLoad<RuleSetDetail | null>(
    () => api<RuleSetDetail>("GET", base).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))),
    [id],
  );
  const shown = version ?? detail.data?.latest_version ?? null;
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadedText, setLoadedText] = useState("");
  const [stored, setStored] = useState<VersionSummary | null>(null);

  useEffect(() => {
    if (detail.loading) return;
    if (shown === null) {
      const fresh = { id, name: id, rules: [], tables: [] };
      setDraft(fresh);
      setLoadedText("");
      return;
    }
    void api<Record<string, any>>("GET", `${base}/versions/${shown}`).then((body) => {
      const loaded = content(body);
      setDraft(loaded);
      setLoadedText(JSON.stringify(loaded));
      setStored(body as unknown as VersionSummary);
    });
  }, [detail.loading, shown]);

  if (detail.error) return <ErrorBox error={detail.error} retry={detail.reload} />;
  // A reload after publishing keeps the editor (and what it said) on the page.
  if ((detail.loading && !detail.data) || !draft) return <Loading what="the rule set" />;
  const dirty = JSON.stringify(draft) !== loadedText;
  return (
    <div class="rule-editor">
      <p>
        <a href="/admin/rule-sets" onClick={link("/admin/rule-sets")}>
          ← Rule sets
        </a>
      </p>
      <h1>
        {draft.name || id} <span class="muted">{id}</span>
      </h1>
      {detail.data && <Versions detail={detail.data} shown={shown} />}
      <Editing
        id={id}
        draft={draft}
        setDraft={setDraft}
        dirty={dirty}
        shown={shown}
        stored={stored}
        onSaved={(saved) => {
          detail.reload();
          navigate(`/admin/rule-sets/${encodeURIComponent(id)}?version=${saved}`);
        }}
        onPublished={detail.reload}
      />
    </div>
  );
}

function Versions({ detail, shown }: { detail: RuleSetDetail; shown: number | null }) {
  return (
    <Section title="Versions" id="rule-set-versions">
      <table class="reviewers-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Status</th>
            <th>Saved</th>
            <th>Published</th>
          </tr>
        </thead>
        <tbody>
          {detail.versions.map((v) => {
            const path = `/admin/rule-sets/${encodeURIComponent(detail.id)}?version=${v.version}`;
            return (
              <tr key={v.version} data-version={v.version} aria-current={v.version === shown ? "true" : undefined}>
                <td>
                  <a href={path} onClick={link(path)}>
                    v{v.version}
                  </a>
                  {v.version === detail.published_version && <span class="badge"> new cases</span>}
                  {v.version === shown && <span class="muted"> (shown)</span>}
                </td>
                <td>{v.status}</td>
                <td>
                  {when(v.created_at)} by {v.created_by ?? "?"}
                </td>
                <td>
                  {v.published_at ? (
                    <>
                      {when(v.published_at)} by {v.published_by ?? "?"}: <q>{v.publish_reason ?? "no reason given"}</q>
                    </>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

interface EditingProps {
  id: string;
  draft: Draft;
  setDraft: (draft: Draft) => void;
  dirty: boolean;
  shown: number | null;
  stored: VersionSummary | null;
  onSaved: (version: number) => void;
  onPublished: () => void;
}

function Editing({ id, draft, setDraft, dirty, shown, stored, onSaved, onPublished }: EditingProps) {
  const [tab, setTab] = useState<"form" | "json">("form");
  const [workflow, setWorkflow] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(() => {
    const said = saidAfterSave;
    saidAfterSave = null;
    return said;
  });
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState("");

  const workflows = useLoad(() => api<{ items: { id: string; name?: string }[] }>("GET", "/v1/review/workflows"), []);
  const listing = useLoad(async () => {
    const params = workflow ? { workflow } : { rule_set: id };
    try {
      return await api<{ workflow: string; cases_sampled: number; variables: Variable[] }>("GET", `/v1/admin/rule-variables${query(params)}`);
    } catch (error) {
      if (!workflow && error instanceof ApiError && error.status === 404) return null; // no workflow uses it yet: pick one
      throw error;
    }
  }, [workflow]);
  const activeWorkflow = workflow ?? listing.data?.workflow ?? null;
  const variables = listing.data?.variables ?? [];

  const errorAt = (prefix: string) => {
    if (!problem?.path) return undefined;
    const path = problem.path;
    return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`) ? problem.message : undefined;
  };

  function change(next: Draft) {
    setDraft(next);
    setNotice(null);
  }

  async function save() {
    setBusy(true);
    setProblem(null);
    try {
      const saved = await api<{ version: number }>("POST", "/v1/admin/rule-sets", draft);
      saidAfterSave = `Saved as version ${saved.version} (a draft: publish it for new cases).`;
      onSaved(saved.version);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  async function publish() {
    if (shown === null) return;
    setBusy(true);
    setProblem(null);
    try {
      await api("POST", `/v1/admin/rule-sets/${encodeURIComponent(id)}/versions/${shown}/publish`, { reason });
      setNotice(`Version ${shown} published: cases that start from now on use it.`);
      setReason("");
      onPublished();
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  const canPublish = !dirty && shown !== null && stored?.status === "draft";
  return (
    <>
      <Section title="Variables" id="rule-variables">
        <label>
          Workflow{" "}
          <select aria-label="Workflow" value={activeWorkflow ?? ""} onChange={(e) => setWorkflow((e.target as HTMLSelectElement).value || null)}>
            {!activeWorkflow && <option value="">pick the workflow the rules are for</option>}
            {(workflows.data?.items ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name ?? w.id}
              </option>
            ))}
          </select>
        </label>
        {listing.error ? (
          <ErrorBox error={listing.error} retry={listing.reload} />
        ) : listing.loading ? (
          <Loading what="the variables" />
        ) : listing.data ? (
          <details>
            <summary data-testid="variables-summary">
              {variables.length} variables the rules of {listing.data.workflow} can read (examples from {listing.data.cases_sampled} recent cases)
            </summary>
            <table class="reviewers-table variables">
              <tbody>
                {variables.map((v) => (
                  <tr key={v.path}>
                    <td>
                      <code>{v.path}</code>
                    </td>
                    <td>{v.type}</td>
                    <td>{v.description}</td>
                    <td class="muted">{v.examples.map((e) => JSON.stringify(e)).join(", ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        ) : null}
      </Section>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === "form"} onClick={() => setTab("form")}>
          Rules
        </button>
        <button type="button" role="tab" aria-selected={tab === "json"} onClick={() => setTab("json")}>
          Advanced (JSON)
        </button>
      </div>
      {problem && !problem.path?.match(/^(rules|tables)\[/) && (
        <p class="error" role="alert" data-testid="editor-problem">
          {problem.path ? `${problem.path}: ` : ""}
          {problem.message}
        </p>
      )}
      {tab === "form" ? <RuleForms draft={draft} variables={variables} onChange={change} errorAt={errorAt} /> : <JsonTab draft={draft} onChange={change} />}
      <Preview draft={draft} workflow={activeWorkflow} onProblem={setProblem} />
      <Section title="Save and publish" id="rule-set-save">
        {notice && (
          <p class="notice" role="status" data-testid="editor-notice">
            {notice}
          </p>
        )}
        <button type="button" class="primary" disabled={busy || (!dirty && shown !== null)} onClick={() => void save()}>
          Save as draft
        </button>{" "}
        {dirty && shown !== null && <span class="muted">Unsaved changes to v{shown}.</span>}
        {canPublish && (
          <div class="publish-form">
            <label>
              Why publish v{shown}? (kept with the version)
              <textarea name="publish-reason" rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
            </label>
            {errorAt("reason") && <p class="field-error">{errorAt("reason")}</p>}
            <button type="button" class="primary" disabled={busy || !reason.trim()} onClick={() => void publish()}>
              Publish v{shown}
            </button>
          </div>
        )}
      </Section>
    </>
  );
}

function RuleForms({ draft, variables, onChange, errorAt }: { draft: Draft; variables: Variable[]; onChange: (d: Draft) => void; errorAt: (prefix: string) => string | undefined }) {
  const rules: Record<string, any>[] = draft.rules ?? [];
  const tables: Record<string, any>[] = draft.tables ?? [];
  const setRule = (i: number, rule: Record<string, any> | null) =>
    onChange({ ...draft, rules: rule === null ? rules.filter((_, j) => j !== i) : rules.map((r, j) => (j === i ? rule : r)) });
  const setTable = (i: number, table: Record<string, any> | null) =>
    onChange({ ...draft, tables: table === null ? tables.filter((_, j) => j !== i) : tables.map((t, j) => (j === i ? table : t)) });
  const first = variables.find((v) => v.type !== "object");
  return (
    <>
      <Section title="Rule set" id="rule-set-fields">
        <div class="rule-fields">
          <label>
            Name <input name="rule-set-name" value={draft.name ?? ""} onInput={(e) => onChange({ ...draft, name: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Review from score{" "}
            <input type="number" name="threshold-review" value={String(draft.thresholds?.review ?? 30)} onInput={(e) => onChange({ ...draft, thresholds: { ...draft.thresholds, review: Number((e.target as HTMLInputElement).value) } })} />
          </label>
          <label>
            Reject from score{" "}
            <input type="number" name="threshold-reject" value={String(draft.thresholds?.reject ?? 80)} onInput={(e) => onChange({ ...draft, thresholds: { ...draft.thresholds, reject: Number((e.target as HTMLInputElement).value) } })} />
          </label>
        </div>
        {errorAt("thresholds") && <p class="field-error">{errorAt("thresholds")}</p>}
      </Section>
      <Section title={`Rules (${rules.length})`} id="rule-forms">
        {rules.map((rule, i) => (
          <RuleForm key={i} rule={rule} index={i} variables={variables} onChange={(r) => setRule(i, r)} error={errorAt(`rules[${i}]`)} />
        ))}
        <button
          type="button"
          disabled={!first}
          onClick={() =>
            onChange({
              ...draft,
              rules: [...rules, { id: `rule-${rules.length + 1}`, name: "New rule", condition: first ? writeCondition({ kind: "group", mode: "all", items: [newClause(first)], wrap: false }) : true, score: 0, severity: "medium", outcome: "flag" }],
            })
          }
        >
          + Rule
        </button>
      </Section>
      <Section title={`Decision tables (${tables.length})`} id="table-forms">
        {tables.map((table, i) => (
          <div key={i}>
            <DecisionTableEditor table={table} index={i} variables={variables} onChange={(t) => setTable(i, t)} errors={errorAt} />
            <button type="button" class="link" onClick={() => setTable(i, null)}>
              Remove table {table.id}
            </button>
          </div>
        ))}
        {first && (
          <button
            type="button"
            onClick={() =>
              onChange({
                ...draft,
                tables: [...tables, { id: `table-${tables.length + 1}`, name: "New table", hit_policy: "first", inputs: [{ name: first.path.split(".").pop(), expression: { var: first.path } }], rows: [{ id: "row-1", when: [null], outcome: "flag", score: 0 }] }],
              })
            }
          >
            + Decision table
          </button>
        )}
      </Section>
    </>
  );
}

function RuleForm({ rule, index, variables, onChange, error }: { rule: Record<string, any>; index: number; variables: Variable[]; onChange: (r: Record<string, any> | null) => void; error?: string }) {
  const group = useMemo(() => readCondition(rule.condition), [JSON.stringify(rule.condition)]);
  const label = `Rule ${index + 1}`;
  const set = (field: string, value: unknown) => onChange({ ...rule, [field]: value });
  return (
    <article class="rule-form" data-rule={rule.id} aria-label={label}>
      <div class="rule-fields">
        <label>
          Id <input aria-label={`${label}: id`} size={16} value={rule.id ?? ""} onInput={(e) => set("id", (e.target as HTMLInputElement).value)} />
        </label>
        <label class="grow">
          Name <input aria-label={`${label}: name`} value={rule.name ?? ""} onInput={(e) => set("name", (e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Score <input aria-label={`${label}: score`} type="number" size={5} value={String(rule.score ?? 0)} onInput={(e) => set("score", Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          Severity{" "}
          <select aria-label={`${label}: severity`} value={rule.severity ?? "medium"} onChange={(e) => set("severity", (e.target as HTMLSelectElement).value)}>
            {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Outcome{" "}
          <select aria-label={`${label}: outcome`} value={rule.outcome ?? "flag"} onChange={(e) => set("outcome", (e.target as HTMLSelectElement).value)}>
            {OUTCOMES.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
        </label>
        <label>
          <input type="checkbox" aria-label={`${label}: enabled`} checked={rule.enabled !== false} onChange={(e) => set("enabled", (e.target as HTMLInputElement).checked)} /> Enabled
        </label>
        <button type="button" class="link" onClick={() => onChange(null)}>
          Remove rule
        </button>
      </div>
      {group ? (
        <ConditionBuilder group={group} variables={variables} label={`${label} condition`} onChange={(g) => set("condition", writeCondition(g))} />
      ) : (
        <ConditionJson value={rule.condition} label={label} onChange={(c) => set("condition", c)} />
      )}
      {error && (
        <p class="field-error" role="alert" data-testid={`rule-error-${index}`}>
          {error}
        </p>
      )}
    </article>
  );
}

function ConditionJson({ value, label, onChange }: { value: unknown; label: string; onChange: (value: unknown) => void }) {
  const [text, setText] = useState(JSON.stringify(value, null, 1));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <div class="condition-json">
      <p class="muted">This condition uses JSON Logic the form cannot show: it stays editable as JSON.</p>
      <textarea
        aria-label={`${label}: condition (JSON Logic)`}
        rows={4}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          const typed = (e.target as HTMLTextAreaElement).value;
          setText(typed);
          try {
            onChange(JSON.parse(typed));
            setBad(null);
          } catch (error) {
            setBad((error as Error).message);
          }
        }}
      />
      {bad && <p class="field-error">Not JSON yet: {bad}</p>}
    </div>
  );
}

function JsonTab({ draft, onChange }: { draft: Draft; onChange: (d: Draft) => void }) {
  const shown = JSON.stringify(draft, null, 2);
  const [text, setText] = useState(shown);
  const [bad, setBad] = useState<string | null>(null);
  const own = useRef(shown);
  useEffect(() => {
    // The form changed the draft (not this text): show it.
    if (shown !== own.current) {
      own.current = shown;
      setText(shown);
      setBad(null);
    }
  }, [shown]);
  return (
    <Section title="Advanced: the rule set as JSON" id="rule-set-json">
      <p class="muted">Edit freely: the forms follow when this is valid JSON. A condition the forms cannot show stays JSON there too.</p>
      <textarea
        name="rule-set-json"
        aria-label="Rule set JSON"
        rows={24}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          const typed = (e.target as HTMLTextAreaElement).value;
          setText(typed);
          try {
            const parsed = JSON.parse(typed);
            if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("a rule set is a JSON object");
            own.current = JSON.stringify(parsed, null, 2);
            setBad(null);
            onChange(parsed);
          } catch (error) {
            setBad((error as Error).message);
          }
        }}
      />
      {bad && (
        <p class="field-error" role="alert">
          Not applied: {bad}
        </p>
      )}
    </Section>
  );
}

interface DryRun {
  score: number;
  level: string;
  recommendation: string;
  hits: { rule_id: string; explanation?: string }[];
  errors: { rule_id?: string; error: string }[];
}

interface Backtest {
  cases: number;
  changed: number;
  agrees_with_decision: number;
  changes: { case_id: string; decision: string; previous_recommendation: string | null; recommendation: string; score: number }[];
}

function Preview({ draft, workflow, onProblem }: { draft: Draft; workflow: string | null; onProblem: (p: Problem | null) => void }) {
  const [caseId, setCaseId] = useState("");
  const [limit, setLimit] = useState(20);
  const [dryRun, setDryRun] = useState<DryRun | null>(null);
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const cases = useLoad(
    () => (workflow ? api<{ items: { id: string; entity_name: string; state: string }[] }>("GET", `/v1/review/cases${query({ workflow, limit: 25 })}`) : Promise.resolve({ items: [] })),
    [workflow],
  );
  const body = JSON.stringify(draft);

  useEffect(() => {
    if (!workflow) return;
    let live = true;
    const timer = window.setTimeout(async () => {
      setRunning(true);
      try {
        const [tried, tested] = await Promise.all([
          caseId ? api<DryRun>("POST", "/v1/admin/rule-sets/dry-run", { rule_set: draft, case_id: caseId }) : Promise.resolve(null),
          api<Backtest>("POST", "/v1/admin/rule-sets/backtest", { rule_set: draft, workflow, limit }),
        ]);
        if (!live) return;
        setDryRun(tried);
        setBacktest(tested);
        setFailure(null);
        onProblem(null);
      } catch (error) {
        if (!live) return;
        const problem = problemOf(error);
        setFailure(problem.message);
        onProblem(problem);
      } finally {
        if (live) setRunning(false);
      }
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [body, caseId, limit, workflow]);

  return (
    <Section title="Live preview" id="rule-preview">
      <div class="rule-fields">
        <label>
          Dry run on{" "}
          <select aria-label="Past case" value={caseId} onChange={(e) => setCaseId((e.target as HTMLSelectElement).value)}>
            <option value="">pick a past case</option>
            {(cases.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.entity_name} · {c.state} · {c.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Backtest on the last{" "}
          <input aria-label="Decided cases to backtest" type="number" min={1} max={200} value={String(limit)} onChange={(e) => setLimit(Math.max(1, Math.min(200, Number((e.target as HTMLInputElement).value) || 1)))} /> decided cases
        </label>
        {running && <span class="muted" role="status">updating…</span>}
      </div>
      {failure && (
        <p class="error" role="alert" data-testid="preview-error">
          The preview cannot run: {failure}
        </p>
      )}
      {dryRun && (
        <div data-testid="dry-run">
          <strong>
            {caseId}: {dryRun.recommendation}
          </strong>{" "}
          (score {dryRun.score}, {dryRun.level}) · hits: {dryRun.hits.map((h) => h.rule_id).join(", ") || "none"}
          {dryRun.errors.length > 0 && <span class="field-error"> · failed: {dryRun.errors.map((e) => `${e.rule_id ?? "?"}: ${e.error}`).join("; ")}</span>}
        </div>
      )}
      {backtest && (
        <div data-testid="backtest">
          <p>
            <strong>
              {backtest.changed} of {backtest.cases}
            </strong>{" "}
            decided cases would get another recommendation; {backtest.agrees_with_decision} agree with the decision taken.
          </p>
          {backtest.changes.length > 0 && (
            <ul class="history">
              {backtest.changes.map((c) => (
                <li key={c.case_id}>
                  <a href={`/cases/${encodeURIComponent(c.case_id)}`} onClick={link(`/cases/${encodeURIComponent(c.case_id)}`)}>
                    {c.case_id}
                  </a>{" "}
                  ({c.decision}): {c.previous_recommendation ?? "no assessment"} → <strong>{c.recommendation}</strong> (score {c.score})
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}
