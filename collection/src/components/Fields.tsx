// One field of a step's form, drawn from its JSON Schema and UI hint; arrays of objects (owners, directors) as a
// list the applicant adds to and removes from, with each owner's document slots.
import type { ComponentChildren } from "preact";
import type { Schema, Slot, Step } from "../api";
import { countries } from "../countries";
import { fieldId, fieldOrder, getAt, hiddenField, widgetOf, type Errors, type Values } from "../form";
import { fieldName, type Language, type Translate } from "../i18n";

export type FieldContext = {
  step: Step;
  values: Values;
  errors: Errors;
  language: Language;
  t: Translate;
  onChange: (path: string, value: unknown) => void;
  /** Document slots drawn inside each item of an owners' list. */
  ownerSlots?: (ownerIndex: number, owner: Values) => ComponentChildren;
  /** What the applicant can do about one person they named (invite them). */
  personActions?: (people: "ubos" | "directors", index: number) => ComponentChildren;
};

/** A field's label: the step's own (by dotted path, array indexes left out), its schema's title, or the common name. */
export function labelOf(step: Step, path: string, schema: Schema, language: Language): string {
  const key = path.split(".").filter((p) => !/^\d+$/.test(p)).join(".");
  return step.labels[key] ?? schema.title ?? fieldName(key.split(".").pop() ?? key, language);
}

function ErrorText({ id, message }: { id: string; message?: string }) {
  return message ? (
    <p class="field-error" id={`${id}-error`}>
      {message}
    </p>
  ) : null;
}

export function Field({ ctx, path, schema, required }: { ctx: FieldContext; path: string; schema: Schema; required: boolean }) {
  const { step, values, errors, language, t, onChange } = ctx;
  const name = path.split(".").pop() ?? path;
  const widget = widgetOf(name, schema, step.ui.widgets?.[path.replace(/\.\d+\./g, ".")]);
  const id = fieldId(step.id, path);
  const label = labelOf(step, path, schema, language);
  const error = errors[path];
  const value = getAt(values, path);
  const aria = {
    id,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
    "aria-required": required ? ("true" as const) : undefined,
  };
  const caption = (
    <>
      {label}
      {required ? null : <span class="optional"> ({t("optional")})</span>}
    </>
  );

  if (widget === "repeater") return <Repeater ctx={ctx} path={path} schema={schema} label={label} />;
  if (widget === "checkbox") {
    return (
      <div class="field field-check">
        <input type="checkbox" {...aria} checked={value === true} onChange={(e) => onChange(path, e.currentTarget.checked)} />
        <label for={id}>{caption}</label>
        <ErrorText id={id} message={error} />
      </div>
    );
  }
  if (widget === "radio" && schema.enum) {
    return (
      <fieldset class="field" aria-invalid={aria["aria-invalid"]} aria-describedby={aria["aria-describedby"]} id={id}>
        <legend>{caption}</legend>
        {schema.enum.map((option) => (
          <label class="choice" key={String(option)}>
            <input type="radio" name={id} value={String(option)} checked={value === option} onChange={() => onChange(path, option)} />{" "}
            {step.labels[`${path}.${option}`] ?? fieldName(String(option), language)}
          </label>
        ))}
        <ErrorText id={id} message={error} />
      </fieldset>
    );
  }
  let input;
  if (widget === "select" || widget === "country") {
    const options =
      widget === "country"
        ? countries(language).map((c) => ({ value: c.code, text: c.name }))
        : (schema.enum ?? []).map((o) => ({ value: String(o), text: step.labels[`${path}.${o}`] ?? fieldName(String(o), language) }));
    input = (
      <select {...aria} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(path, e.currentTarget.value || undefined)}>
        <option value="">{t("choose")}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    );
  } else if (widget === "number") {
    input = (
      <input
        {...aria}
        type="number"
        inputMode="decimal"
        min={schema.minimum}
        max={schema.maximum}
        step="any"
        value={value === undefined || value === null ? "" : String(value)}
        onInput={(e) => {
          const raw = e.currentTarget.value;
          onChange(path, raw === "" ? undefined : Number(raw));
        }}
      />
    );
  } else {
    const type = widget === "date" ? "date" : widget === "email" ? "email" : widget === "tel" ? "tel" : "text";
    input = (
      <input
        {...aria}
        type={type}
        autoComplete={autocomplete(name)}
        maxLength={schema.maxLength}
        placeholder={step.ui.placeholders?.[path]}
        value={value === undefined || value === null ? "" : String(value)}
        onInput={(e) => onChange(path, e.currentTarget.value)}
      />
    );
  }
  return (
    <div class="field">
      <label for={id}>{caption}</label>
      {input}
      <ErrorText id={id} message={error} />
    </div>
  );
}

function autocomplete(name: string): string | undefined {
  const known: Record<string, string> = {
    first_name: "given-name",
    last_name: "family-name",
    email: "email",
    phone: "tel",
    line1: "address-line1",
    line2: "address-line2",
    city: "address-level2",
    postal_code: "postal-code",
    date_of_birth: "bday",
  };
  return known[name];
}

export function Fields({ ctx, prefix, schema }: { ctx: FieldContext; prefix: string; schema: Schema }) {
  const required = schema.required ?? [];
  const order = prefix ? undefined : ctx.step.ui.order;
  return (
    <>
      {fieldOrder(schema, order)
        .filter((name) => !hiddenField(name, schema))
        .map((name) => (
          <Field
            key={name}
            ctx={ctx}
            path={prefix ? `${prefix}.${name}` : name}
            schema={schema.properties![name]}
            required={required.includes(name)}
          />
        ))}
    </>
  );
}

function Repeater({ ctx, path, schema, label }: { ctx: FieldContext; path: string; schema: Schema; label: string }) {
  const { t, onChange, errors, step } = ctx;
  const items = (getAt(ctx.values, path) as Values[] | undefined) ?? [];
  const id = fieldId(step.id, path);
  const error = errors[path];
  const full = schema.maxItems !== undefined && items.length >= schema.maxItems;
  const isOwners = path === "ubos";
  return (
    <fieldset class="repeater" id={id} aria-describedby={error ? `${id}-error` : undefined} aria-invalid={error ? "true" : undefined}>
      <legend>{label}</legend>
      {items.length === 0 ? <p class="hint">{t("none")}</p> : null}
      {items.map((item, index) => (
        <fieldset class="item" key={index}>
          <legend>{t("item", { label, n: index + 1 })}</legend>
          <Fields ctx={ctx} prefix={`${path}.${index}`} schema={schema.items ?? {}} />
          {isOwners && ctx.ownerSlots ? ctx.ownerSlots(index, item) : null}
          {(path === "ubos" || path === "directors") && ctx.personActions ? ctx.personActions(path, index) : null}
          <button
            type="button"
            class="secondary"
            onClick={() => onChange(path, items.filter((_, i) => i !== index))}
          >
            {t("remove")} <span class="visually-hidden">{t("item", { label, n: index + 1 })}</span>
          </button>
        </fieldset>
      ))}
      <ErrorText id={id} message={error} />
      <button type="button" class="secondary" disabled={full} onClick={() => onChange(path, [...items, {}])}>
        <span aria-hidden="true">+&nbsp;</span>
        {t("add")}
        <span class="visually-hidden"> {label}</span>
      </button>
    </fieldset>
  );
}

export type { Slot };
