/** Small pieces every screen uses: loading and error states, badges, a confirmation dialog. */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { label } from "../format";

export function Loading({ what }: { what: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      <strong>Something went wrong.</strong> {message}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{label(state)}</span>;
}

export function RiskBadge({ level, score }: { level?: string | null; score?: number | null }) {
  if (!level) return <span class="muted">—</span>;
  return (
    <span class={`badge risk-${level}`}>
      {label(level)}
      {score !== undefined && score !== null ? ` · ${score}` : ""}
    </span>
  );
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" id={id} aria-labelledby={id ? `${id}-title` : undefined}>
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {children}
    </section>
  );
}

/** A modal dialog (native <dialog>): Escape closes it, focus goes to its first field. */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const field = dialog?.querySelector<HTMLElement>("textarea, input, select, button.primary");
    field?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}

export function KeyValues({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {rows.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{value === null || value === undefined || value === "" ? "—" : value}</dd>
        </div>
      ))}
    </dl>
  );
}
