/** One case: everything a reviewer needs to decide it, and the actions the API says they may take. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { ChecksPanel } from "../components/ChecksPanel";
import { DecisionDialog, type DecisionBody, type DecisionKind } from "../components/DecisionDialog";
import { DocumentsPanel } from "../components/DocumentsPanel";
import { EntityPanel } from "../components/EntityPanel";
import { EvidencePanel } from "../components/EvidencePanel";
import { RiskPanel } from "../components/RiskPanel";
import { UnderwritingPanel } from "../components/UnderwritingPanel";
import { TeamBadges } from "../components/TeamBadges";
import { TeamPanel } from "../components/TeamPanel";
import { Timeline } from "../components/Timeline";
import { ErrorBox, Loading, RiskBadge, Section, StateBadge } from "../components/ui";
import { WorkflowGraph } from "../components/WorkflowGraph";
import { label, text, when } from "../format";
import { queueOrder, useKeys, useLoad } from "../hooks";
import type { Action, Case, CaseDetail, Me, Proposal, Terms } from "../model";
import { link, navigate } from "../router";

const KNOWN_KEYS = new Set(["case", "audit", "checks", "children", "path", "actions", "rule_hits", "hits", "webhook_deliveries", "revision_fields"]);

/** A workflow's definition as the case view draws it. */
interface WorkflowDefinition {
  workflow: Record<string, unknown>;
  states: Record<string, any>;
  automation?: Record<string, any> | null;
}

/** The definition of a case's workflow, or why it could not be read (the case is shown either way). */
interface WorkflowPicture {
  workflow?: string;
  definition?: WorkflowDefinition;
  error?: unknown;
}

/** Never rejects: a definition that cannot be read is an error shown in the Workflow section, not a missing case. */
async function loadPicture(workflow: string | undefined): Promise<WorkflowPicture> {
  if (!workflow) return {};
  try {
    return { workflow, definition: await api<WorkflowDefinition>("GET", `/v1/review/workflows/${encodeURIComponent(workflow)}/definition`) };
  } catch (error) {
    return { workflow, error };
  }
}

export function CaseView({ id, me }: { id: string; me: Me | null }) {
  const detail = useLoad(() => api<CaseDetail>("GET", `/v1/review/cases/${encodeURIComponent(id)}`), [id]);
  // The workflow picture, above the timeline, is hundreds of pixels high: the case is shown once it can be drawn,
  // so that its arrival moves nothing from under the reviewer's pointer (a press on the timeline's "Export CSV"
  // released over the picture would be a lost click).
  const workflowId = detail.data?.case.workflow_id;
  const picture = useLoad(() => loadPicture(workflowId), [workflowId]);
  const [dialog, setDialog] = useState<DecisionKind | null>(null);
  const [terms, setTerms] = useState<Terms | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "conflict" | "error"; text: string } | null>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => setMessage(null), [id]);

  const data = detail.data;
  const actions = data?.actions ?? {};
  const order = queueOrder.load();
  const position = order.ids.indexOf(id);
  const go = (offset: number) => {
    const next = order.ids[position + offset];
    if (position >= 0 && next) navigate(`/cases/${encodeURIComponent(next)}`);
  };
  const open = (kind: DecisionKind) => actions[kind]?.allowed && setDialog(kind);

  useKeys({
    j: () => go(1),
    k: () => go(-1),
    a: () => open("approve"),
    r: () => open("reject"),
    v: () => open("revision"),
    n: () => noteRef.current?.focus(),
    u: () => navigate(`/${order.search || ""}`),
  });

  /** Runs a change; a 409 means someone else changed the case first: say so and show the case as it is now. */
  async function perform(doing: () => Promise<unknown>, done: string | ((result: unknown) => string)): Promise<boolean> {
    setBusy(true);
    setMessage(null);
    try {
      const result = await doing();
      setMessage({ kind: "ok", text: typeof done === "string" ? done : done(result) });
      return true;
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 409) {
        setMessage({
          kind: "conflict",
          text: `Someone else changed this case before you (${exc.message}). Nothing was saved; the case has been reloaded so you see it as it is now.`,
        });
      } else {
        setMessage({ kind: "error", text: exc instanceof Error ? exc.message : String(exc) });
      }
      return false;
    } finally {
      setBusy(false);
      setDialog(null);
      detail.reload();
    }
  }

  function decide(body: DecisionBody) {
    const done = { approve: "Case approved.", reject: "Case rejected.", revision: "Revision requested." }[body.decision];
    const withTerms = body.decision === "approve" && terms ? { ...body, terms } : body;
    void perform(
      () => api<Case>("POST", `/v1/review/cases/${encodeURIComponent(id)}/decision`, withTerms),
      (result) => ((result as Case | undefined)?.pending_second_review ? "Decision proposed: it awaits a second reviewer." : done),
    );
  }

  const proposalUrl = `/v1/review/cases/${encodeURIComponent(id)}/decision`;
  const confirmProposal = () => perform(() => api("POST", `${proposalUrl}/confirm`), "Decision confirmed.");
  const sendBack = (reason: string) => perform(() => api("POST", `${proposalUrl}/return`, { reason }), "Decision sent back.");

  if (detail.error && !data) {
    const notFound = detail.error instanceof ApiError && detail.error.status === 404;
    return notFound ? <ErrorBox error="This case does not exist, or it is not yours to see." /> : <ErrorBox error={detail.error} retry={detail.reload} />;
  }
  // The picture loaded is the previous case's while another workflow's loads (j / k between workflows).
  if (!data || picture.data?.workflow !== data.case.workflow_id) return <Loading what="the case" />;
  const item = data.case;
  const extras = Object.entries(data).filter(([key, value]) => !KNOWN_KEYS.has(key) && value !== null && value !== undefined);

  return (
    <div class="case-view" aria-busy={detail.loading}>
      <div class="case-head card">
        <div>
          <a href={`/${order.search || ""}`} onClick={link(`/${order.search || ""}`)} class="small">
            ← Queue
          </a>
          <h1 data-testid="case-title">{item.entity_name || item.id}</h1>
          <p class="meta">
            <StateBadge state={item.state} /> <RiskBadge level={item.risk?.level} score={item.risk?.score} />
            <TeamBadges item={item} />
            <span>
              {item.workflow_id} v{item.workflow_version ?? 1}
            </span>
            <span class="muted small">{item.id}</span>
            {item.correlation_id && <span class="muted small">ref {item.correlation_id}</span>}
            <span class="muted small">created {when(item.created_at)}</span>
            {item.parent_case_id && (
              <a href={`/cases/${item.parent_case_id}`} onClick={link(`/cases/${item.parent_case_id}`)} class="small">
                parent case
              </a>
            )}
          </p>
          {item.decision && (
            <p class="decision" data-testid="decision">
              {label(item.decision.outcome)} by {item.decision.actor?.email || item.decision.actor?.id}
              {item.decision.automatic ? " (automatic)" : ""}
              {item.decision.confirmed_by ? `, confirmed by ${item.decision.confirmed_by.email || item.decision.confirmed_by.id}` : ""} on{" "}
              {when(item.decision.at)}: {item.decision.reason}
            </p>
          )}
          {item.revision && item.state === "revision_requested" && (
            <p class="decision">
              Revision asked on {when(item.revision.at)}: {item.revision.reason}
            </p>
          )}
        </div>
        <div class="case-nav">
          <button type="button" disabled={position <= 0} onClick={() => go(-1)} title="Previous case (k)">
            ↑ Previous
          </button>
          <button type="button" disabled={position < 0 || position >= order.ids.length - 1} onClick={() => go(1)} title="Next case (j)">
            ↓ Next
          </button>
        </div>
      </div>

      {message && (
        <p class={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"} data-testid="case-message">
          {message.text}
        </p>
      )}
      {detail.error && <ErrorBox error={detail.error} retry={detail.reload} />}

      <div class="case-grid">
        <div class="case-main">
          <EntityPanel entity={item.entity} />
          <DocumentsPanel caseId={item.id} documents={item.documents ?? []} />
          <ChecksPanel
            caseId={item.id}
            checks={data.checks}
            canClear={!!actions.note?.allowed}
            cleared={
              new Set(
                data.audit
                  .filter((e) => e.action === "screening.match_cleared")
                  .map((e) => `${e.details?.check ?? "sanctions"}|${e.details?.subject}|${e.details?.entry_id}`),
              )
            }
            onCleared={(text) => {
              setMessage({ kind: "ok", text });
              detail.reload();
            }}
          />
          <RiskPanel item={item} hits={(data.rule_hits ?? data.hits) as Record<string, any>[] | undefined} />
          <UnderwritingPanel item={item} editable={!!actions.approve?.allowed} onTerms={setTerms} />
          {(item.awaited_people ?? []).length > 0 && (
            <Section title="Invited people" id="awaited-people">
              <table>
                <thead>
                  <tr>
                    <th>Person</th>
                    <th>Their own part</th>
                  </tr>
                </thead>
                <tbody>
                  {(item.awaited_people ?? []).map((person) => (
                    <tr key={person.id} data-testid="awaited-person">
                      <td>{person.name}</td>
                      <td>{person.done_at ? `Submitted ${when(person.done_at)}` : item.state === "awaiting_people" ? "Pending: the case waits for them" : "Not submitted"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          )}
          {(data.children.length > 0 || (item.child_case_ids ?? []).length > 0) && (
            <Section title="Owners' KYC cases" id="children">
              <table>
                <thead>
                  <tr>
                    <th>Person</th>
                    <th>State</th>
                    <th>Risk</th>
                    <th>Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {data.children.map((child) => (
                    <tr key={child.id}>
                      <td>
                        <a href={`/cases/${child.id}`} onClick={link(`/cases/${child.id}`)}>
                          {child.entity_name || child.id}
                        </a>
                      </td>
                      <td>
                        <StateBadge state={child.state} />
                      </td>
                      <td>
                        <RiskBadge level={child.risk?.level} score={child.risk?.score} />
                      </td>
                      <td>{child.decision ? `${label(child.decision.outcome)}: ${child.decision.reason}` : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          )}
          {Array.isArray(data.webhook_deliveries) && data.webhook_deliveries.length > 0 && (
            <WebhookDeliveries deliveries={data.webhook_deliveries as Record<string, any>[]} />
          )}
          {extras.map(([key, value]) => (
            <Extra key={key} name={key} value={value} />
          ))}
          <Workflow picture={picture.data} retry={picture.reload} path={data.path} />
          <Timeline audit={data.audit} path={data.path} caseId={item.id} />
        </div>
        <aside class="case-side">
          <Section title="Decide" id="actions">
            {item.proposal && (
              <PendingProposal
                proposal={item.proposal}
                mine={!!me && item.proposal.actor.id === me.id}
                confirm={actions.confirm}
                sendBack={actions.send_back}
                busy={busy}
                onConfirm={confirmProposal}
                onSendBack={sendBack}
              />
            )}
            <div class="decide-buttons">
              <ActionButton action={actions.approve} kind="approve" onClick={() => setDialog("approve")} busy={busy}>
                Approve <kbd>a</kbd>
              </ActionButton>
              <ActionButton action={actions.reject} kind="reject" onClick={() => setDialog("reject")} busy={busy}>
                Reject <kbd>r</kbd>
              </ActionButton>
              <ActionButton action={actions.revision} kind="revision" onClick={() => setDialog("revision")} busy={busy}>
                Ask for revision <kbd>v</kbd>
              </ActionButton>
            </div>
          </Section>
          <TeamPanel item={item} me={me} actions={actions} busy={busy} perform={perform} />
          <EvidencePanel caseId={item.id} />
          <Notes detail={data} action={actions.note} busy={busy} noteRef={noteRef} onAdd={(t) => perform(() => api("POST", `/v1/review/cases/${encodeURIComponent(id)}/notes`, { text: t }), "Note added.")} />
          <p class="muted small hint">Keys: j / k next and previous case, a approve, r reject, v revision, n note, u queue.</p>
        </aside>
      </div>
      {dialog && <DecisionDialog kind={dialog} documents={item.documents ?? []} fields={data.revision_fields ?? []} busy={busy} onConfirm={decide} onClose={() => setDialog(null)} />}
    </div>
  );
}

function ActionButton({
  action,
  kind,
  busy,
  onClick,
  children,
}: {
  action?: Action;
  kind: string;
  busy: boolean;
  onClick: () => void;
  children: preact.ComponentChildren;
}) {
  const allowed = action?.allowed ?? false;
  const reason = action ? action.reason : "not offered for this case";
  return (
    <div class="action">
      <button type="button" class={`action-${kind}`} disabled={!allowed || busy} onClick={onClick} aria-describedby={allowed ? undefined : `why-${kind}`}>
        {children}
      </button>
      {!allowed && reason && (
        <span class="why small" id={`why-${kind}`} data-testid={`why-${kind}`}>
          {label(reason)}
        </span>
      )}
      {allowed && action?.second_review && (
        <span class="second-review small" data-testid={`second-review-${kind}`}>
          {label(action.second_review)}: it will await a second reviewer
        </span>
      )}
    </div>
  );
}

interface ReviewPolicy {
  second_reviewer_for: string[];
  second_reviewer_role: string;
}

/** The workflow's four-eyes policy: which decisions a second reviewer confirms. */
function ReviewPolicyLine({ policy }: { policy?: ReviewPolicy }) {
  if (!policy?.second_reviewer_for?.length) return <p class="small muted" data-testid="review-policy">One reviewer decides every case of this workflow.</p>;
  const role = policy.second_reviewer_role === "admin" ? "an admin" : "another reviewer";
  return (
    <p class="small muted" data-testid="review-policy">
      Four eyes: {role} confirms {policy.second_reviewer_for.map((t) => label(t)).join(", ").toLowerCase()} decisions.
    </p>
  );
}

/** A decision awaiting a second reviewer: who proposed what and why; Confirm / Send back for an eligible other reviewer. */
function PendingProposal({
  proposal,
  mine,
  confirm,
  sendBack,
  busy,
  onConfirm,
  onSendBack,
}: {
  proposal: Proposal;
  mine: boolean;
  confirm?: Action;
  sendBack?: Action;
  busy: boolean;
  onConfirm: () => void;
  onSendBack: (reason: string) => void;
}) {
  const [reason, setReason] = useState("");
  const who = proposal.actor.email || proposal.actor.id;
  return (
    <div class="proposal" data-testid="proposal" role="status">
      <p>
        <strong>{label(proposal.decision)}</strong> proposed by {who} on {when(proposal.at)}: {proposal.reason}
      </p>
      <p class="small muted">
        Needs a second reviewer{proposal.role === "admin" ? " with the admin role" : ""} ({proposal.requires.map(label).join(", ")}).
      </p>
      {mine ? (
        <p data-testid="proposal-awaiting">Awaiting a second reviewer: someone else confirms or sends back your decision.</p>
      ) : confirm?.allowed ? (
        <div class="proposal-actions">
          <button type="button" class="action-confirm" disabled={busy} onClick={onConfirm}>
            Confirm {proposal.decision}
          </button>
          <label class="small">
            Reason to send it back
            <textarea value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} rows={2} />
          </label>
          <button type="button" class="action-send-back" disabled={busy || !sendBack?.allowed || !reason.trim()} onClick={() => onSendBack(reason.trim())}>
            Send back
          </button>
        </div>
      ) : (
        <p class="why small" data-testid="why-confirm">
          {label(confirm?.reason ?? "not offered for this case")}
        </p>
      )}
    </div>
  );
}

function Notes({
  detail,
  action,
  busy,
  noteRef,
  onAdd,
}: {
  detail: CaseDetail;
  action?: Action;
  busy: boolean;
  noteRef: preact.RefObject<HTMLTextAreaElement>;
  onAdd: (text: string) => Promise<boolean>;
}) {
  const [textValue, setTextValue] = useState("");
  const notes = detail.audit.filter((e) => e.action === "note.added");
  return (
    <Section title="Notes" id="notes">
      <ul class="notes">
        {notes.map((n) => (
          <li key={n.id}>
            <p>{n.reason}</p>
            <span class="muted small">
              {n.actor?.email || n.actor?.id}, {when(n.at)}
            </span>
          </li>
        ))}
      </ul>
      {notes.length === 0 && <p class="muted">No notes yet.</p>}
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (textValue.trim() && (await onAdd(textValue.trim()))) setTextValue("");
        }}
      >
        <label>
          <span>
            Add a note <kbd>n</kbd>
          </span>
          <textarea
            ref={noteRef}
            name="note"
            rows={3}
            value={textValue}
            disabled={!action?.allowed}
            onInput={(e) => setTextValue((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        {!action?.allowed && action?.reason && <span class="why small">{label(action.reason)}</span>}
        <button type="submit" disabled={!action?.allowed || busy || !textValue.trim()}>
          Add note
        </button>
      </form>
    </Section>
  );
}

function Workflow({ picture, retry, path }: { picture: WorkflowPicture; retry: () => void; path: CaseDetail["path"] }) {
  const definition = picture.definition;
  const automated = path.filter((s) => s.machine === "automation");
  const lastRun = automated.length ? Math.max(...automated.map((s) => s.run ?? 0)) : 0;
  // A nested step (a check, an owner's case) lights up the top-level state it ran within.
  const runPath = automated.filter((s) => (s.run ?? 0) === lastRun).map((s) => (s.within ? { ...s, state: s.within } : s));
  const waiting = path.filter((s) => s.machine !== "automation");
  return (
    <Section title="Workflow" id="workflow">
      {picture.error ? (
        <ErrorBox error={picture.error} retry={retry} />
      ) : !definition ? (
        <p class="muted">This case names no workflow.</p>
      ) : (
        <>
          {definition.automation && (
            <>
              <h3 class="small">Automated part{lastRun ? ` (run ${lastRun})` : ""}</h3>
              <div class="workflow-wrap" data-machine="automation">
                <WorkflowGraph definition={definition.automation} path={runPath} />
              </div>
              {automated.length > 0 && <AutomatedSteps steps={automated.filter((s) => s.type !== "Choice")} />}
              <h3 class="small">Waiting for people</h3>
            </>
          )}
          <div class="workflow-wrap" data-machine="workflow">
            <WorkflowGraph definition={definition.states} path={waiting} />
          </div>
          <ReviewPolicyLine policy={definition.workflow.review_policy as ReviewPolicy | undefined} />
        </>
      )}
    </Section>
  );
}

/** Each step of the automated runs: what it ran on, how long it took, its retries and the failures caught. */
function AutomatedSteps({ steps }: { steps: CaseDetail["path"] }) {
  const ms = (s: CaseDetail["path"][number]) =>
    s.exited_at && s.entered_at ? Math.max(0, new Date(s.exited_at).getTime() - new Date(s.entered_at).getTime()) : null;
  return (
    <table class="steps small" aria-label="Steps of the automated part">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Step</th>
          <th scope="col">Took</th>
          <th scope="col">Outcome</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s, i) => (
          <tr key={i} class={`step-${s.status}`} data-state={s.state}>
            <td>{s.run}</td>
            <td>
              {s.state}
              {s.item ? ` (${s.item})` : ""}
            </td>
            <td>{ms(s) === null ? "" : `${ms(s)} ms`}</td>
            <td>
              {label(s.status)}
              {s.retries ? `, ${s.retries} ${s.retries === 1 ? "retry" : "retries"}` : ""}
              {s.error ? ` — ${s.error}` : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A block the API added that this screen has no special view for (webhook deliveries, …): shown as data. */
function Extra({ name, value }: { name: string; value: unknown }) {
  const rows = Array.isArray(value) ? (value as unknown[]) : null;
  if (rows && rows.length === 0) return null;
  const objects = rows && rows.every((r) => r && typeof r === "object" && !Array.isArray(r)) ? (rows as Record<string, unknown>[]) : null;
  const columns = objects ? Array.from(new Set(objects.flatMap((o) => Object.keys(o)))).slice(0, 7) : [];
  return (
    <Section title={label(name)} id={`extra-${name}`}>
      {objects ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c}>{label(c)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {objects.map((o, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c}>{/(_at|^at)$/.test(c) ? when(String(o[c] ?? "")) : text(o[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <pre>{JSON.stringify(value, null, 2)}</pre>
      )}
    </Section>
  );
}

/** The case's events as partners' webhooks received them: where, whether it arrived, how many attempts. */
function WebhookDeliveries({ deliveries }: { deliveries: Record<string, any>[] }) {
  return (
    <Section title="Webhook deliveries" id="webhook-deliveries">
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th class="wide">Endpoint</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th class="wide">Updated</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d, i) => (
              <tr key={d.id ?? i} data-delivery={d.id}>
                <td>{text(d.event_type)}</td>
                <td class="wide small">{text(d.url)}</td>
                <td>
                  <span class={`badge delivery-${d.status}`}>{label(String(d.status ?? "unknown"))}</span>
                  {d.next_attempt_at && <div class="muted small">next try {when(d.next_attempt_at)}</div>}
                </td>
                <td>{text(d.total_attempts ?? d.attempts)}</td>
                <td>
                  {d.last_status_code ? `HTTP ${d.last_status_code}` : "—"}
                  {d.last_error && <div class="small error-text">{d.last_error}</div>}
                </td>
                <td class="wide">{when(d.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
