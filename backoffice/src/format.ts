/** How values are shown: dates, states, scores, labels. */
export function label(value: string): string {
  const text = value.replace(/[_.-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function when(iso?: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function score(value: unknown): string {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? "—");
  return number <= 1 && number > 0 && !Number.isInteger(number) ? `${Math.round(number * 100)}%` : String(number);
}

/** Any JSON value as short text. */
export function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function address(value: Record<string, any> | null | undefined): string {
  if (!value) return "—";
  const parts = [value.line1, value.line2, [value.postal_code, value.city].filter(Boolean).join(" "), value.region, value.country];
  return parts.filter((p) => p && String(p).trim()).join(", ") || "—";
}
