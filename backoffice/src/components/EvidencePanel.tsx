/** Evidence for an examiner: the case's evidence bundle (a zip built by the API, fetched through a short-lived
 * link) and the audit trail's hash chain verified on demand. */
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { when } from "../format";
import { Section } from "./ui";

interface BundleLink {
  url: string;
  expires_at: string;
  sha256: string;
  size: number;
}

interface Verification {
  valid: boolean;
  entries: number;
  head?: string | null;
  anchored?: { date: string } | null;
  broken_at?: { index: number; entry_id: string | null; reason: string; detail: string } | null;
}

function failure(exc: unknown): string {
  return exc instanceof ApiError ? exc.message : "The server could not be reached; retry.";
}

/** Follows the bundle's link: the bucket answers it as an attachment, so the browser saves it and stays here. */
function follow(url: string): void {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.rel = "noopener";
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}

export function EvidencePanel({ caseId }: { caseId: string }) {
  const base = `/v1/review/cases/${encodeURIComponent(caseId)}`;
  const [bundle, setBundle] = useState<BundleLink | null>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [busy, setBusy] = useState<"bundle" | "verify" | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function exportBundle() {
    setBusy("bundle");
    setError(null);
    try {
      const answer = await api<BundleLink>("GET", `${base}/evidence`);
      setBundle(answer);
      follow(answer.url);
    } catch (exc) {
      setError(`The evidence bundle could not be built: ${failure(exc)}`);
    } finally {
      setBusy(null);
    }
  }

  async function verify() {
    setBusy("verify");
    setError(null);
    try {
      setVerification(await api<Verification>("GET", `${base}/audit/verify`));
    } catch (exc) {
      setError(`The audit trail could not be verified: ${failure(exc)}`);
    } finally {
      setBusy(null);
    }
  }

  const broken = verification?.broken_at;
  return (
    <Section title="Evidence" id="evidence">
      <p class="evidence-actions">
        <button type="button" class="small" onClick={exportBundle} disabled={busy !== null}>
          {busy === "bundle" ? "Building…" : "Evidence bundle"}
        </button>{" "}
        <button type="button" class="small" onClick={verify} disabled={busy !== null}>
          {busy === "verify" ? "Verifying…" : "Verify audit trail"}
        </button>
      </p>
      {bundle && (
        <p class="small" data-testid="evidence-bundle">
          <a href={bundle.url} rel="noopener">
            Download the bundle
          </a>{" "}
          ({Math.ceil(bundle.size / 1024)} KB; link valid until {when(bundle.expires_at)}). SHA-256{" "}
          <code class="hash">{bundle.sha256}</code>, recorded in the audit trail.
        </p>
      )}
      {verification &&
        (verification.valid ? (
          <p class="notice small" role="status" data-testid="audit-verification">
            Audit trail verified: {verification.entries} entries chained
            {verification.anchored ? `, anchored in the digest of ${verification.anchored.date}` : ""}.
          </p>
        ) : (
          <p class="error small" role="alert" data-testid="audit-verification">
            Audit trail broken at entry {(broken?.index ?? 0) + 1}
            {broken?.entry_id ? ` (${broken.entry_id})` : ""}: {broken?.reason} — {broken?.detail}
          </p>
        ))}
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </Section>
  );
}
