// A step's form from its JSON Schema: which fields, with which widget, and the checks the browser makes before
// the server checks the same schema again (its 422 names the field, which the form then marks).
import type { Schema, Step } from "./api";
import type { Translate } from "./i18n";

export type Values = Record<string, unknown>;
/** Errors by field path (`name`, `ubos.0.first_name`, `ubos`). */
export type Errors = Record<string, string>;

export type Widget = "text" | "email" | "tel" | "number" | "date" | "select" | "radio" | "checkbox" | "country" | "repeater";

export function fieldOrder(schema: Schema, order?: string[]): string[] {
  const names = Object.keys(schema.properties ?? {});
  if (!order) return names;
  return [...order.filter((n) => names.includes(n)), ...names.filter((n) => !order.includes(n))];
}

export function widgetOf(name: string, schema: Schema, hint?: string): Widget {
  if (hint === "radio" || hint === "select" || hint === "country" || hint === "date" || hint === "tel") return hint;
  if (schema.type === "array") return "repeater";
  if (schema.enum) return "select";
  if (schema.type === "boolean") return "checkbox";
  if (schema.type === "number" || schema.type === "integer") return "number";
  if (schema.format === "date") return "date";
  if (schema.format === "email") return "email";
  if (name === "nationality" || (schema.pattern === "^[A-Z]{2}$" && /country|nationality/.test(name))) return "country";
  if (name === "phone") return "tel";
  return "text";
}

/** Fields the applicant never fills in: an array item's own `id`, which the integrator or the site sets. */
export function hiddenField(name: string, parent: Schema): boolean {
  return name === "id" && !(parent.required ?? []).includes("id");
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function checkValue(path: string, value: unknown, schema: Schema, required: boolean, t: Translate, errors: Errors): void {
  if (isEmpty(value)) {
    if (required) errors[path] = schema.type === "array" ? t("atLeastItems", { n: schema.minItems ?? 1 }) : t("required");
    return;
  }
  if (schema.type === "array") {
    const items = Array.isArray(value) ? value : [];
    if (schema.minItems && items.length < schema.minItems) errors[path] = t("atLeastItems", { n: schema.minItems });
    items.forEach((item, index) => checkObject(`${path}.${index}`, item as Values, schema.items ?? {}, t, errors));
    return;
  }
  if (schema.type === "object") {
    checkObject(path, value as Values, schema, t, errors);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) errors[path] = t("invalid");
  else if (schema.type === "number" || schema.type === "integer") {
    const n = Number(value);
    if (typeof value !== "number" || Number.isNaN(n)) errors[path] = t("invalid");
    else if (schema.minimum !== undefined && n < schema.minimum) errors[path] = t("tooSmall", { n: schema.minimum });
    else if (schema.maximum !== undefined && n > schema.maximum) errors[path] = t("tooLarge", { n: schema.maximum });
  } else if (typeof value === "string") {
    if (schema.format === "date" && !DATE.test(value)) errors[path] = t("date");
    else if (schema.format === "email" && !EMAIL.test(value)) errors[path] = t("email");
    else if (schema.maxLength !== undefined && value.length > schema.maxLength) errors[path] = t("tooLong", { n: schema.maxLength });
    else if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors[path] = t("invalid");
  }
}

function checkObject(prefix: string, values: Values, schema: Schema, t: Translate, errors: Errors): void {
  const required = schema.required ?? [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    checkValue(prefix ? `${prefix}.${name}` : name, values?.[name], property, required.includes(name), t, errors);
  }
}

/** The browser's checks of a step's data: errors by field path, none when the server may take it. */
export function checkStep(step: Step, values: Values, t: Translate): Errors {
  const errors: Errors = {};
  checkObject("", values, step.data_schema, t, errors);
  return errors;
}

/** The data as the server takes it: no empty optional values (an empty string breaks a pattern). */
export function cleaned(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cleaned);
  if (value !== null && typeof value === "object") {
    const out: Values = {};
    for (const [name, v] of Object.entries(value as Values)) if (!isEmpty(v)) out[name] = cleaned(v);
    return out;
  }
  return value;
}

/** The field a server's path names within a step (`ownership.ubos.0.first_name` -> `ubos.0.first_name`). */
export function fieldOfPath(stepId: string, path: string | null): string | null {
  if (!path) return null;
  const prefix = `${stepId}.`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

/** The element id of a field, for labels, error messages and focus. */
export function fieldId(stepId: string, path: string): string {
  return `f-${stepId}-${path.replace(/\./g, "-")}`;
}

export function getAt(values: Values, path: string): unknown {
  let value: unknown = values;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function setAt(values: Values, path: string, value: unknown): Values {
  const [head, ...rest] = path.split(".");
  if (rest.length === 0) return { ...values, [head]: value };
  const current = values[head];
  if (Array.isArray(current)) {
    const copy = [...current];
    const index = Number(rest[0]);
    copy[index] = rest.length === 1 ? value : setAt((copy[index] as Values) ?? {}, rest.slice(1).join("."), value);
    return { ...values, [head]: copy };
  }
  return { ...values, [head]: setAt((current as Values) ?? {}, rest.join("."), value) };
}

/** The document id a slot's upload is stored under: the slot's id, or per owner the slot's id and the owner's number. */
export function slotDocumentId(slotId: string, ownerIndex?: number): string {
  return ownerIndex === undefined ? slotId : `${slotId}.${ownerIndex + 1}`;
}
