/**
 * Underwriting: the terms the rules propose for a merchant (tier, monthly limit, reserve, settlement delay,
 * conditions), the rule hits that set them, and — while the case awaits a decision — a form to change them before
 * approving. The API checks the reviewer's authority (403 naming the term beyond it); the granted terms show once
 * the case is approved.
 */
import { useEffect, useState } from "preact/hooks";
import type { Case, Terms } from "../model";
import { Section } from "./ui";

const TIERS = ["low", "medium", "high", "very_high"] as const;

function money(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  return `${amount.toLocaleString("en-GB", { maximumFractionDigits: 0 })} ${currency ?? ""}`.trim();
}

function TermsList({ terms, testid }: { terms: Terms; testid: string }) {
  return (
    <dl class="terms" data-testid={testid}>
      <dt>Risk tier</dt>
      <dd data-term="risk_tier">{terms.risk_tier?.replace("_", " ") ?? "—"}</dd>
      <dt>Monthly limit</dt>
      <dd data-term="monthly_limit">{money(terms.monthly_limit, terms.currency)}</dd>
      <dt>Rolling reserve</dt>
      <dd data-term="reserve">
        {terms.reserve_percent ? `${terms.reserve_percent} % for ${terms.reserve_days ?? 0} days` : "none"}
      </dd>
      <dt>Settlement delay</dt>
      <dd data-term="settlement_delay_days">
        {terms.settlement_delay_days !== null && terms.settlement_delay_days !== undefined ? `${terms.settlement_delay_days} days` : "—"}
      </dd>
      <dt>Conditions</dt>
      <dd data-term="conditions">
        {terms.conditions?.length ? (
          <ul>
            {terms.conditions.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        ) : (
          "none"
        )}
      </dd>
    </dl>
  );
}

function numberOrNull(value: string): number | null {
  return value.trim() === "" ? null : Number(value);
}

/** The panel; `onTerms` receives the terms to approve on (null: the proposal as it is). */
export function UnderwritingPanel({
  item,
  editable,
  onTerms,
}: {
  item: Case;
  editable: boolean;
  onTerms: (terms: Terms | null) => void;
}) {
  const proposed = item.risk?.terms ?? null;
  const granted = item.decision?.terms ?? null;
  const [draft, setDraft] = useState<Terms | null>(null);
  useEffect(() => {
    setDraft(null);
    onTerms(null);
  }, [item.id, item.version]);
  if (!proposed && !granted) return null;
  const reasons = (item.risk?.hits ?? []).filter((hit) => hit.terms);
  const current = draft ?? proposed ?? {};

  function change(update: Partial<Terms>) {
    const next = { ...current, ...update };
    setDraft(next);
    onTerms(next);
  }

  return (
    <Section title="Underwriting" id="underwriting">
      {granted ? (
        <>
          <p class="muted small">Granted with the approval:</p>
          <TermsList terms={granted} testid="granted-terms" />
        </>
      ) : (
        proposed && (
          <>
            <p class="muted small">Proposed by the rules:</p>
            <TermsList terms={proposed} testid="proposed-terms" />
          </>
        )
      )}
      {reasons.length > 0 && (
        <details>
          <summary>Why these terms ({reasons.length})</summary>
          <ul class="small" data-testid="terms-reasons">
            {reasons.map((hit) => (
              <li key={hit.rule_id}>
                <strong>{hit.name}</strong>: {Object.keys(hit.terms).join(", ").replaceAll("_", " ")}
              </li>
            ))}
          </ul>
        </details>
      )}
      {editable && !granted && proposed && (
        <form class="terms-form" onSubmit={(e) => e.preventDefault()} aria-describedby="terms-help">
          <p id="terms-help" class="muted small">
            Change the terms before approving; your role's authority bounds how far (tightening is always allowed).
          </p>
          <label>
            Risk tier
            <select name="risk_tier" value={current.risk_tier ?? ""} onChange={(e) => change({ risk_tier: (e.target as HTMLSelectElement).value as Terms["risk_tier"] })}>
              {TIERS.map((t) => (
                <option key={t} value={t}>
                  {t.replace("_", " ")}
                </option>
              ))}
            </select>
          </label>
          <label>
            Monthly limit ({current.currency ?? "currency"})
            <input
              type="number"
              name="monthly_limit"
              min={0}
              step={1000}
              value={current.monthly_limit ?? ""}
              onInput={(e) => change({ monthly_limit: numberOrNull((e.target as HTMLInputElement).value) })}
            />
          </label>
          <label>
            Reserve (%)
            <input
              type="number"
              name="reserve_percent"
              min={0}
              max={100}
              value={current.reserve_percent ?? ""}
              onInput={(e) => change({ reserve_percent: numberOrNull((e.target as HTMLInputElement).value) })}
            />
          </label>
          <label>
            Reserve days
            <input
              type="number"
              name="reserve_days"
              min={0}
              max={365}
              value={current.reserve_days ?? ""}
              onInput={(e) => change({ reserve_days: numberOrNull((e.target as HTMLInputElement).value) })}
            />
          </label>
          <label>
            Settlement delay (days)
            <input
              type="number"
              name="settlement_delay_days"
              min={0}
              max={90}
              value={current.settlement_delay_days ?? ""}
              onInput={(e) => change({ settlement_delay_days: numberOrNull((e.target as HTMLInputElement).value) })}
            />
          </label>
          <label>
            Conditions (one per line)
            <textarea
              name="conditions"
              rows={3}
              value={(current.conditions ?? []).join("\n")}
              onInput={(e) =>
                change({
                  conditions: (e.target as HTMLTextAreaElement).value
                    .split("\n")
                    .map((c) => c.trim())
                    .filter(Boolean),
                })
              }
            />
          </label>
          {draft && (
            <p class="small" data-testid="terms-changed" role="status">
              Approving grants these changed terms.{" "}
              <button
                type="button"
                class="link"
                onClick={() => {
                  setDraft(null);
                  onTerms(null);
                }}
              >
                Back to the proposal
              </button>
            </p>
          )}
        </form>
      )}
    </Section>
  );
}
