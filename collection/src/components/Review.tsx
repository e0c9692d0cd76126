// The progress bar, a revision's note, and one step of the review page (everything entered, with a way back).
import type { Journey, Step } from "../api";
import { getAt, type Values } from "../form";
import { translator, type Language } from "../i18n";
import { ownerSlots, stepSlots } from "../journey";
import { labelOf } from "./Fields";
import type { UploadState } from "./SlotUpload";

function display(value: unknown, t: ReturnType<typeof translator>): string {
  if (value === true) return t("yes");
  if (value === false) return t("no");
  if (value === undefined || value === null || value === "") return "—";
  return String(value);
}

export function Progress({ n, m, label }: { n: number; m: number; label: string }) {
  return (
    <div class="progress">
      <p id="progress-label">{label}</p>
      <progress max={m} value={n} aria-labelledby="progress-label" />
    </div>
  );
}

export function Revision({
  journey,
  step,
  language,
  t,
}: {
  journey: Journey;
  step?: Step;
  language: Language;
  t: ReturnType<typeof translator>;
}) {
  // The fields a reviewer named on this step (`<step id>.<field>`), by their labels.
  const named = (journey.revision?.fields ?? [])
    .filter((path) => step && path.startsWith(`${step.id}.`))
    .map((path) => path.slice(step!.id.length + 1))
    .map((path) => labelOf(step!, path, step!.data_schema.properties?.[path.split(".")[0]] ?? {}, language));
  return (
    <div class="revision" role="note">
      <p class="errors-title">{t("revisionTitle")}</p>
      <p>
        {t("revisionReason")} {journey.revision?.reason}
      </p>
      {named.length ? (
        <p data-testid="revision-fields">
          {t("revisionFields")} {named.join(", ")}
        </p>
      ) : null}
    </div>
  );
}

export function ReviewStep(props: {
  step: Step;
  data: Values;
  journey: Journey;
  uploads: Record<string, UploadState>;
  language: Language;
  t: ReturnType<typeof translator>;
  onEdit: () => void;
}) {
  const { step, data, journey, uploads, language, t, onEdit } = props;
  const rows: { label: string; value: string }[] = [];
  const walk = (prefix: string, schema: Step["data_schema"]) => {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      const value = getAt(data, path);
      if (name === "id" && prefix) continue;
      if (property.type === "array") {
        const items = (value as Values[] | undefined) ?? [];
        items.forEach((_, index) => walk(`${path}.${index}`, property.items ?? {}));
        if (!items.length) rows.push({ label: labelOf(step, path, property, language), value: "—" });
      } else {
        const label = labelOf(step, path, property, language);
        const owner = path.match(/^(\w+)\.(\d+)\./);
        const prefixLabel = owner ? `${t("item", { label: labelOf(step, owner[1], {}, language), n: Number(owner[2]) + 1 })} · ` : "";
        rows.push({ label: prefixLabel + label, value: display(value, t) });
      }
    }
  };
  walk("", step.data_schema);
  const slots = [...stepSlots(journey, step)];
  ((data.ubos as Values[] | undefined) ?? []).forEach((owner, index) => slots.push(...ownerSlots(step, owner, index, journey.invited)));
  return (
    <section class="review-step" aria-labelledby={`review-${step.id}`}>
      <div class="review-head">
        <h2 id={`review-${step.id}`}>{step.title}</h2>
        <button type="button" class="link" onClick={onEdit}>
          {t("edit")} <span class="visually-hidden">{step.title}</span>
        </button>
      </div>
      {rows.length ? (
        <dl>
          {rows.map((row, i) => (
            <div key={i}>
              <dt>{row.label}</dt>
              <dd>{row.value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {slots.length ? (
        <dl>
          {slots.map(({ slot, documentId }) => (
            <div key={documentId}>
              <dt>
                {slot.label}
                {slot.per_owner ? ` (${documentId.split(".").pop()})` : ""}
              </dt>
              <dd>{uploads[documentId] === "uploaded" ? `${t("uploaded")} ✓` : t("notUploaded")}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </section>
  );
}
