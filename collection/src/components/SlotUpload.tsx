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
        {[
          { text: t("chooseFile"), accept: "image/*,application/pdf", capture: undefined, testId: `file-${documentId}` },
          // On a phone, the camera straight away (a photo, no PDF).
          { text: t("takePhoto"), accept: "image/*", capture: "environment" as const, testId: undefined },
        ].map((choice) => (
          <label class="button secondary" key={choice.text}>
            {choice.text}
            <span class="visually-hidden">: {label}</span>
            <input
              class="visually-hidden"
              type="file"
              accept={choice.accept}
              capture={choice.capture}
              aria-describedby={described}
              disabled={state === "uploading"}
              onChange={choose}
              data-testid={choice.testId}
            />
          </label>
        ))}
      </div>
    </div>
  );
}

export function acceptedType(file: File): boolean {
  return ACCEPTED.includes(file.type);
}
