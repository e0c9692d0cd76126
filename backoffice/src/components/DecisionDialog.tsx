/** Approve, reject or ask for a revision: a reason is required; each document can get its own decision, and a
 * revision of a case that collects through links can send fields of the applicant's journey back too. */
import { useState } from "preact/hooks";
import { label } from "../format";
import type { Document } from "../model";
import { Dialog } from "./ui";

export type DecisionKind = "approve" | "reject" | "revision";

export interface DecisionBody {
  decision: DecisionKind;
  reason: string;
  documents: { document_id: string; decision: string; reason?: string }[];
  fields?: string[];
}

/** A field of the case's collection journey a revision may send back (the case view's `revision_fields`). */
export interface RevisionField {
  path: string;
  label: string;
}

const TITLES: Record<DecisionKind, string> = {
  approve: "Approve this case?",
  reject: "Reject this case?",
  revision: "Ask for a revision",
};

const CONFIRM: Record<DecisionKind, string> = {
  approve: "Approve case",
  reject: "Reject case",
  revision: "Ask for revision",
};

export function DecisionDialog({
  kind,
  documents,
  fields = [],
  busy,
  onConfirm,
  onClose,
}: {
  kind: DecisionKind;
  documents: Document[];
  fields?: RevisionField[];
  busy: boolean;
  onConfirm: (body: DecisionBody) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const [perDocument, setPerDocument] = useState<Record<string, { decision: string; reason: string }>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [sentBack, setSentBack] = useState<string[]>([]);
  const askFields = kind === "revision" && fields.length > 0;

  function submit(event: Event) {
    event.preventDefault();
    if (!reason.trim()) {
      setProblem("A reason is required: it is what the audit trail and the integrator see.");
      return;
    }
    const chosen = Object.entries(perDocument).filter(([, d]) => d.decision);
    const documentBack = chosen.some(([, d]) => d.decision === "revision");
    if (kind === "revision" && (documents.length > 0 || askFields) && !documentBack && sentBack.length === 0) {
      setProblem(
        askFields
          ? "Mark at least one document or field to send back, so the applicant knows what to change."
          : "Mark at least one document for revision, so the integrator knows what to send again.",
      );
      return;
    }
    onConfirm({
      decision: kind,
      reason: reason.trim(),
      documents: chosen.map(([id, d]) => ({ document_id: id, decision: d.decision, ...(d.reason.trim() ? { reason: d.reason.trim() } : {}) })),
      ...(askFields && sentBack.length ? { fields: sentBack } : {}),
    });
  }

  return (
    <Dialog title={TITLES[kind]} onClose={onClose}>
      <form onSubmit={submit} class="decision-form" data-decision={kind} noValidate>
        <label>
          Reason (required)
          <textarea
            name="reason"
            rows={3}
            aria-required="true"
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit(e);
            }}
            placeholder={kind === "revision" ? "What must the customer fix?" : "Why?"}
          />
        </label>
        {documents.length > 0 && (
          <fieldset>
            <legend>Documents{kind === "revision" ? " (mark those to send again)" : " (optional)"}</legend>
            {documents.map((doc) => {
              const current = perDocument[doc.id] ?? { decision: "", reason: "" };
              return (
                <div class="doc-decision" key={doc.id}>
                  <label>
                    {label(doc.type)}
                    <select
                      name={`document-${doc.id}`}
                      value={current.decision}
                      onChange={(e) =>
                        setPerDocument({ ...perDocument, [doc.id]: { ...current, decision: (e.target as HTMLSelectElement).value } })
                      }
                    >
                      <option value="">No decision</option>
                      <option value="approved">Approved</option>
                      <option value="rejected">Rejected</option>
                      <option value="revision">Needs revision</option>
                    </select>
                  </label>
                  {current.decision && (
                    <input
                      type="text"
                      name={`document-reason-${doc.id}`}
                      placeholder="Reason for this document"
                      value={current.reason}
                      onInput={(e) =>
                        setPerDocument({ ...perDocument, [doc.id]: { ...current, reason: (e.target as HTMLInputElement).value } })
                      }
                    />
                  )}
                </div>
              );
            })}
          </fieldset>
        )}
        {askFields && (
          <fieldset class="revision-fields">
            <legend>Fields the applicant answers again</legend>
            {fields.map((field) => (
              <label class="checkbox" key={field.path}>
                <input
                  type="checkbox"
                  name={`field-${field.path}`}
                  checked={sentBack.includes(field.path)}
                  onChange={(e) =>
                    setSentBack(
                      (e.target as HTMLInputElement).checked ? [...sentBack, field.path] : sentBack.filter((p) => p !== field.path),
                    )
                  }
                />
                {field.label}
              </label>
            ))}
          </fieldset>
        )}
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <div class="dialog-buttons">
          <span class="muted small hint-inline">Ctrl+Enter confirms, Escape cancels</span>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={`primary ${kind}`} disabled={busy}>
            {busy ? "Saving…" : CONFIRM[kind]}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
