// One document slot: choose a file (or take a photo on a phone); it goes straight to S3 with the presigned POST
// the API issues for it.
import type { Slot } from "../api";
import type { Translate } from "../i18n";

export type UploadState = "uploading" | "uploaded" | "failed" | "type";

const ACCEPTED = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

export function SlotUpload(props: {
  slot: Slot;
  label: string;
  documentId: string;
  state: UploadState | undefined;
  error?: string;
  t: Translate;
  onFile: (file: File) => void;
}) {
  const { slot, label, documentId, state, error, t, onFile } = props;
  const id = `doc-${documentId.replace(/\./g, "-")}`;
  const choose = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (file) onFile(file);
    input.value = "";
  };
  const status =
    state === "uploading"
      ? t("uploading")
      : state === "uploaded"
        ? `${t("uploaded")} ✓`
        : state === "failed"
          ? t("uploadFailed")
          : state === "type"
            ? t("fileType")
            : t("notUploaded");
  const described = [`${id}-status`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`slot ${state === "uploaded" ? "slot-done" : ""}`} id={id} aria-invalid={error ? "true" : undefined}>
      <p class="slot-label">
        {label}
        {slot.required ? null : <span class="optional"> ({t("optional")})</span>}
      </p>
      <p class="slot-status" id={`${id}-status`} role="status">
        {status}
        {state === "uploaded" ? <span class="hint"> {t("replace")}</span> : null}
      </p>
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
      <div class="slot-actions">
        <label class="button secondary">
          {t("chooseFile")}
          <span class="visually-hidden">: {label}</span>
          <input
            class="visually-hidden"
            type="file"
            accept="image/*,application/pdf"
            aria-describedby={described}
            disabled={state === "uploading"}
            onChange={choose}
            data-testid={`file-${documentId}`}
          />
        </label>
        <label class="button secondary camera">
          {t("takePhoto")}
          <span class="visually-hidden">: {label}</span>
          <input
            class="visually-hidden"
            type="file"
            accept="image/*"
            capture="environment"
            aria-describedby={described}
            disabled={state === "uploading"}
            onChange={choose}
          />
        </label>
      </div>
    </div>
  );
}

export function acceptedType(file: File): boolean {
  return ACCEPTED.includes(file.type);
}
