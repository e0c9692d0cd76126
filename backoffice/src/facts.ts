/**
 * Check results as facts a reviewer reads ("Registration number HRB 123456: invalid format for …", "Sanctions: 2
 * names screened against the list of 2026-11-30, no match"), from the data each built-in check returns. A check the
 * app does not know gets none, and its data stays shown as it is; raw data is always one click away.
 */

type Data = Record<string, any>;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function identifierFacts(data: Data): string[] {
  return (data.identifiers ?? []).map((id: Data) => {
    const what = `${String(id.type ?? "identifier").replace(/_/g, " ")} ${id.number ?? ""}`.trim();
    const name = what.charAt(0).toUpperCase() + what.slice(1);
    if (id.valid === true) return `${name}: valid ${id.scheme_name ?? id.scheme ?? ""}`.trim();
    if (id.valid === false) return `${name}: ${id.reason ?? "invalid"}${id.scheme_name ? ` (${id.scheme_name})` : ""}`;
    return `${name}: could not be checked${id.reason ? ` (${id.reason})` : ""}`;
  });
}

function sanctionsFacts(data: Data): string[] {
  const list = data.list ?? {};
  const against = list.date ? `the list of ${list.date}` : "the list";
  const alerts = Number(data.alerts ?? 0);
  const suppressed = Number(data.suppressed ?? 0);
  const screened = Number(data.screened ?? 0);
  const outcome = alerts ? plural(alerts, "possible match", "possible matches") : "no match";
  const cleared = suppressed ? `, ${plural(suppressed, "match")} cleared before` : "";
  return [`Sanctions: ${plural(screened, "name")} screened against ${against}, ${outcome}${cleared}`];
}

function contactFacts(data: Data): string[] {
  const emails = (data.emails ?? []).map((e: Data) =>
    e.valid ? `E-mail ${e.email}: deliverable domain ${e.domain ?? ""}`.trim() : `E-mail ${e.email}: ${e.reason ?? "not valid"}`,
  );
  const phones = (data.phones ?? []).map((p: Data) =>
    p.valid ? `Phone ${p.phone}: valid ${p.type ?? ""} number${p.region ? ` in ${p.region}` : ""}` : `Phone ${p.phone}: ${p.reason ?? "not valid"}`,
  );
  return [...emails, ...phones];
}

function ownershipFacts(data: Data): string[] {
  const out = [
    `${plural(Number(data.ubo_count ?? 0), "beneficial owner")} and ${plural(Number(data.director_count ?? 0), "director")} declared; ${data.declared_total_percent ?? 0} % of the ownership accounted for`,
  ];
  for (const owner of data.significant_owners ?? []) {
    const missing = (owner.missing ?? []) as string[];
    out.push(`${owner.name} (${owner.ownership_percent ?? "?"} %): ${missing.length ? `missing ${missing.join(", ").replace(/_/g, " ")}` : "identification complete"}`);
  }
  return out;
}

function websiteFacts(data: Data): string[] {
  if (data.reachable === false) return [`Website ${data.url}: not reachable (${data.error ?? "no answer"})`];
  if (data.reachable !== true) return [];
  const tls = data.tls?.https ? "over https" : "without https";
  const domain =
    data.domain_matches_email === false ? `; its domain ${data.domain} differs from the e-mail's ${data.email_domain}` : "";
  return [`Website ${data.final_url ?? data.url}: answered ${data.status_code} ${tls}${data.title ? `, titled “${data.title}”` : ""}${domain}`];
}

function websiteContentFacts(data: Data): string[] {
  if (data.readable === false) return [`Website content: could not be read (${data.error ?? "no answer"})`];
  const out = [
    (data.missing_pages ?? []).length ? `Pages missing: ${(data.missing_pages as string[]).join(", ")}` : "Terms, refund policy, privacy and contact pages all linked",
    data.prices_found ? `${plural(Number(data.prices_found), "price")} seen, in ${(data.currencies ?? []).join(", ") || "no known currency"}` : "No prices shown",
  ];
  if ((data.prohibited ?? []).length) out.push(`Prohibited goods: ${(data.prohibited as Data[]).map((p) => p.term).join(", ")}`);
  if ((data.restricted ?? []).length) out.push(`Restricted goods: ${(data.restricted as Data[]).map((p) => p.term).join(", ")}`);
  if (data.domain_matches_company === false) out.push(`The domain ${data.domain} does not carry the company's name`);
  return out;
}

/** Readable facts for a check's result (empty: show its data as it is). */
export function checkFacts(result: Data): string[] {
  const data = (result?.data ?? {}) as Data;
  if (result?.status === "skipped") return [`Not run: ${data.reason ?? "it does not apply to this case"}`];
  if ("identifiers" in data && ("valid" in data || "invalid" in data)) return identifierFacts(data);
  if ("screened" in data && "list" in data) return sanctionsFacts(data);
  if ("emails" in data || "phones" in data) return contactFacts(data);
  if ("ubo_count" in data) return ownershipFacts(data);
  if ("missing_pages" in data || "prohibited" in data || data.readable === false) return websiteContentFacts(data);
  if ("reachable" in data) return websiteFacts(data);
  return [];
}

/** A rule hit's value as a reader sees it: a list counted, an object's few fields, a scalar as it is. */
export function readableValue(value: unknown): string {
  if (value === null || value === undefined) return "absent";
  if (Array.isArray(value)) return value.length && value.every((v) => typeof v !== "object") ? value.join(", ") : plural(value.length, "item");
  if (typeof value === "object") return plural(Object.keys(value as object).length, "field");
  return String(value);
}
