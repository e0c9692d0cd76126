// The applicant's journey: load it with the link's token, one step at a time (each saved as the applicant moves
// on), a review page, then submit. A link that is expired, revoked or wrong opens nothing but a page saying so.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, CollectionApi, type Journey, type Slot, type Step, type WaitingPerson } from "./api";
import { Fields, labelOf, type FieldContext } from "./components/Fields";
import { Progress, ReviewStep, Revision } from "./components/Review";
import { acceptedType, SlotUpload, type UploadState } from "./components/SlotUpload";
import { checkStep, cleaned, fieldId, fieldOfPath, setAt, type Errors, type Values } from "./form";
import { isLanguage, LANGUAGE_NAMES, LANGUAGES, translator, type Language } from "./i18n";
import { openSteps, ownerSlots, stepSlots } from "./journey";

type Phase = "loading" | "invalid" | "failed" | "form" | "review" | "done";

const CHOSEN_LANGUAGE = "arbiter-collection-language";

export function App({ api }: { api: CollectionApi }) {
  const [phase, setPhase] = useState<Phase>("loading");
  const [journey, setJourney] = useState<Journey | null>(null);
  const [language, setLanguage] = useState<Language>("en");
  const [stepId, setStepId] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, Values>>({});
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [uploads, setUploads] = useState<Record<string, UploadState>>({});
  const [invitations, setInvitations] = useState<Record<string, string>>({});
  const [inviteEmails, setInviteEmails] = useState<Record<string, string>>({});
  const [invitesMailed, setInvitesMailed] = useState<Record<string, string>>({});
  // Whom the submitted application waits for (the applicant's link only; a person's link just says thank you).
  const [waitingFor, setWaitingFor] = useState<WaitingPerson[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);
  const t = useMemo(() => translator(language), [language]);

  const adopt = (loaded: Journey) => {
    setJourney(loaded);
    if (isLanguage(loaded.language)) setLanguage(loaded.language);
    setUploads((known) => {
      const next = { ...known };
      for (const id of loaded.uploaded ?? []) if (next[id] !== "uploading") next[id] = "uploaded";
      return next;
    });
  };

  useEffect(() => {
    const chosen = sessionStorage.getItem(CHOSEN_LANGUAGE);
    api
      .journey(isLanguage(chosen) ? chosen : null)
      .then((loaded) => {
        adopt(loaded);
        setValues(loaded.data as Record<string, Values>);
        const steps = openSteps(loaded);
        if (!loaded.case.collecting) {
          if (!loaded.person_id) setWaitingFor(loaded.case.waiting_for ?? []);
          setPhase("done");
        }
        else if (loaded.resume_at && steps.some((s) => s.id === loaded.resume_at)) {
          setStepId(loaded.resume_at);
          setPhase("form");
        } else if (!loaded.resume_at && !loaded.revision) setPhase("review");
        else {
          setStepId(steps[0]?.id ?? null);
          setPhase(steps.length ? "form" : "review");
        }
      })
      .catch((error) => setPhase(error instanceof ApiError && (error.status === 401 || error.status === 403) ? "invalid" : "failed"));
  }, [api]);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t("application");
  }, [language, t]);

  // Each new page: its heading takes the focus, so a screen reader starts there.
  useEffect(() => {
    heading.current?.focus();
  }, [phase, stepId]);

  const switchLanguage = (next: Language) => {
    sessionStorage.setItem(CHOSEN_LANGUAGE, next);
    setLanguage(next);
    api.journey(next).then(adopt, () => setMessage(t("failed")));
  };

  const header = (
    <header class="top">
      <span class="brand">{t("application")}</span>
      <label class="language">
        <span class="visually-hidden">{t("language")}</span>
        <select aria-label={t("language")} value={language} onChange={(e) => switchLanguage(e.currentTarget.value as Language)}>
          {LANGUAGES.map((code) => (
            <option key={code} value={code} lang={code}>
              {LANGUAGE_NAMES[code]}
            </option>
          ))}
        </select>
      </label>
    </header>
  );

  const page = (title: string, body: preact.ComponentChildren) => (
    <>
      {header}
      <section class="card">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {body}
      </section>
    </>
  );

  if (phase === "loading") return page(t("loading"), <p class="hint" role="status">{t("loading")}</p>);
  if (phase === "invalid") return page(t("invalidTitle"), <p>{t("invalidText")}</p>);
  if (phase === "failed" || !journey) return page(t("failed"), null);
  if (phase === "done" && waitingFor.length) {
    // Someone's link expired or was lost: the applicant sends them a new one from here (the form is closed).
    const reinvite = async (person: WaitingPerson) => {
      const place = personPlace(journey.data, person.person_id);
      if (!place) return;
      setBusy(true);
      setMessage(null);
      try {
        const invited = await api.invite(place.people, place.index);
        setInvitations((known) => ({ ...known, [person.person_id]: invited.url }));
      } catch {
        setMessage(t("failed"));
      } finally {
        setBusy(false);
      }
    };
    return page(
      t("waitingTitle"),
      <>
        <p data-testid="waiting">{t("waitingText", { names: waitingFor.map((p) => p.name).join(", ") })}</p>
        {message ? <p role="alert">{message}</p> : null}
        <ul class="waiting-people">
          {waitingFor.map((person) => (
            <li key={person.person_id}>
              <span>{person.name}</span>
              {invitations[person.person_id] ? (
                <div class="invitation">
                  <label for={`reinvite-${person.person_id}`}>{t("inviteLink")}</label>
                  <input id={`reinvite-${person.person_id}`} type="text" readOnly value={invitations[person.person_id]} onFocus={(e) => e.currentTarget.select()} />
                </div>
              ) : personPlace(journey.data, person.person_id) ? (
                <button type="button" class="secondary" disabled={busy} onClick={() => reinvite(person)}>
                  {t("reinvite", { name: person.name })}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </>,
    );
  }
  if (phase === "done") return page(t("doneTitle"), <p>{t("doneText")}</p>);

  const steps = openSteps(journey);
  const total = steps.length + 1;

  const upload = async (documentId: string, documentType: string, file: File) => {
    if (!acceptedType(file)) {
      setUploads((u) => ({ ...u, [documentId]: "type" }));
      return;
    }
    setUploads((u) => ({ ...u, [documentId]: "uploading" }));
    try {
      await api.upload(documentId, documentType, file);
      setUploads((u) => ({ ...u, [documentId]: "uploaded" }));
      setErrors(({ [`doc:${documentId}`]: _gone, ...rest }) => rest);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setPhase("invalid");
      else setUploads((u) => ({ ...u, [documentId]: "failed" }));
    }
  };

  const slotView = (slot: Slot, documentId: string) => (
    <SlotUpload
      key={documentId}
      slot={slot}
      label={slot.label}
      documentId={documentId}
      state={uploads[documentId]}
      error={errors[`doc:${documentId}`]}
      t={t}
      onFile={(file) => upload(documentId, slot.document_type, file)}
    />
  );

  // Inviting someone named in the form: the step is saved first (the server invites people it has saved), then
  // their link is shown to pass on, and the saved step (which now gives them an id) is taken back.
  const invite = async (step: Step, data: Values, people: "ubos" | "directors", index: number) => {
    const found = checkStep(step, data, t);
    if (Object.keys(found).length) return showErrors(found, step);
    setBusy(true);
    try {
      await api.saveStep(step.id, cleaned(data) as Values, language);
      const email = (inviteEmails[`${people}.${index}`] ?? "").trim();
      const invited = await api.invite(people, index, email || undefined);
      if (invited.email === "sent") setInvitesMailed((known) => ({ ...known, [`${people}.${index}`]: email }));
      const saved = await api.journey(language);
      adopt(saved);
      setValues((all) => ({ ...all, [step.id]: (saved.data[step.id] as Values) ?? data }));
      setInvitations((known) => ({ ...known, [`${people}.${index}`]: invited.url }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setPhase("invalid");
      else setMessage(error instanceof ApiError && error.status === 422 ? error.message : t("failed"));
    } finally {
      setBusy(false);
    }
  };

  const missingDocuments = (step: Step, data: Values): Errors => {
    const missing: Errors = {};
    const wanted = [...stepSlots(journey, step)];
    ((data.ubos as Values[] | undefined) ?? []).forEach((owner, index) => wanted.push(...ownerSlots(step, owner, index, journey.invited)));
    for (const { slot, documentId } of wanted) {
      if (slot.required && uploads[documentId] !== "uploaded") missing[`doc:${documentId}`] = t("documentMissing");
    }
    return missing;
  };

  const showErrors = (found: Errors, step: Step | null) => {
    setErrors(found);
    setMessage(null);
    const first = Object.keys(found)[0];
    if (first && step) {
      const target = first.startsWith("doc:")
        ? `doc-${first.slice(4).replace(/\./g, "-")}`
        : fieldId(step.id, first);
      requestAnimationFrame(() => document.getElementById(target)?.scrollIntoView({ block: "center" }));
    }
  };

  const errorSummary = (step: Step | null) => {
    const entries = Object.entries(errors);
    return (
      <div class="errors" aria-live="assertive" role="alert">
        {message ? <p>{message}</p> : null}
        {entries.length ? (
          <>
            <p class="errors-title">{t("errorsTitle")}</p>
            <ul>
              {entries.map(([path, text]) => {
                const slot = path.startsWith("doc:") ? path.slice(4) : null;
                const target = slot ? `doc-${slot.replace(/\./g, "-")}` : step ? fieldId(step.id, path) : "";
                const name = slot
                  ? (step?.documents.find((s) => slot === s.id || slot.startsWith(s.id + "."))?.label ?? slot)
                  : step
                    ? labelOf(step, path, {}, language)
                    : path;
                return (
                  <li key={path}>
                    <a href={`#${target}`} onClick={(e) => (e.preventDefault(), document.getElementById(target)?.focus())}>
                      {name}: {text}
                    </a>
                  </li>
                );
              })}
            </ul>
          </>
        ) : null}
      </div>
    );
  };

  const goTo = (next: string | null) => {
    setErrors({});
    setMessage(null);
    if (next === null) setPhase("review");
    else {
      setStepId(next);
      setPhase("form");
    }
    window.scrollTo(0, 0);
  };

  if (phase === "form") {
    const step = steps.find((s) => s.id === stepId) ?? steps[0];
    const index = steps.indexOf(step);
    const data = values[step.id] ?? {};
    const ctx: FieldContext = {
      step,
      values: data,
      errors,
      language,
      t,
      onChange: (path, value) => {
        setValues((all) => ({ ...all, [step.id]: setAt(all[step.id] ?? {}, path, value) }));
        setErrors(({ [path]: _gone, ...rest }) => rest);
      },
      personActions: (people, index) => {
        const key = `${people}.${index}`;
        const id = `invite-${people}-${index}`;
        return invitations[key] ? (
          <div class="invitation">
            {invitesMailed[key] ? <p role="status">{t("inviteSent", { email: invitesMailed[key] })}</p> : null}
            <label for={id}>{t("inviteLink")}</label>
            <input id={id} type="text" readOnly value={invitations[key]} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" class="secondary" onClick={() => navigator.clipboard?.writeText(invitations[key])}>
              {t("copy")}
            </button>
          </div>
        ) : journey.person_id ? null : (
          <div class="invite">
            <label for={`${id}-email`}>{t("inviteEmail")}</label>
            <input
              id={`${id}-email`}
              type="email"
              autocomplete="off"
              value={inviteEmails[key] ?? ""}
              onInput={(e) => setInviteEmails((known) => ({ ...known, [key]: (e.target as HTMLInputElement).value }))}
            />
            <button type="button" class="link" disabled={busy} onClick={() => invite(step, data, people, index)}>
              {t("invite")}
            </button>
          </div>
        );
      },
      ownerSlots: (ownerIndex, owner) => {
        const slots = ownerSlots(step, owner, ownerIndex, journey.invited);
        return slots.length ? <div class="owner-slots">{slots.map(({ slot, documentId }) => slotView(slot, documentId))}</div> : null;
      },
    };
    const save = async (event: Event) => {
      event.preventDefault();
      const found = { ...checkStep(step, data, t), ...missingDocuments(step, data) };
      if (Object.keys(found).length) return showErrors(found, step);
      setBusy(true);
      try {
        const saved = await api.saveStep(step.id, cleaned(data) as Values, language);
        adopt(saved);
        const after = openSteps(saved);
        const position = after.findIndex((s) => s.id === step.id);
        goTo(after[position + 1]?.id ?? null);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) setPhase("invalid");
        else if (error instanceof ApiError && error.status === 422) {
          const field = fieldOfPath(step.id, error.path);
          showErrors(field ? { [field]: error.message.replace(/^[\w.]+: /, "") } : {}, step);
          if (!field) setMessage(error.message);
        } else setMessage(t("failed"));
      } finally {
        setBusy(false);
      }
    };
    return (
      <>
        {header}
        <Progress n={index + 1} m={total} label={t("stepOf", { n: index + 1, m: total })} />
        <form class="card" onSubmit={save} noValidate>
          <h1 tabIndex={-1} ref={heading}>
            {step.title}
          </h1>
          {journey.revision ? <Revision journey={journey} step={step} language={language} t={t} /> : null}
          {step.description ? <p class="hint">{step.description}</p> : null}
          {errorSummary(step)}
          <Fields ctx={ctx} prefix="" schema={step.data_schema} />
          {stepSlots(journey, step).map(({ slot, documentId }) => slotView(slot, documentId))}
          <div class="actions">
            <button type="submit" disabled={busy}>
              {busy ? t("saving") : t("continue")}
            </button>
            {index > 0 ? (
              <button type="button" class="secondary" onClick={() => goTo(steps[index - 1].id)}>
                {t("back")}
              </button>
            ) : null}
          </div>
        </form>
      </>
    );
  }

  // The review page: everything entered, each step with a way back to it, then submit.
  const submit = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const submitted = await api.submit(language);
      if (!journey?.person_id) setWaitingFor(submitted.waiting_for ?? []);
      setPhase("done");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setPhase("invalid");
      else if (error instanceof ApiError && error.status === 409) setPhase("done");
      else if (error instanceof ApiError && error.status === 422 && error.path) {
        const [stepPart] = error.path.split(".");
        const step = steps.find((s) => s.id === stepPart);
        const field = step ? fieldOfPath(step.id, error.path) : null;
        const text = error.message.replace(/^[\w.]+: /, "");
        if (step && field) {
          goTo(step.id);
          const documentId = field.startsWith("documents.") ? field.slice("documents.".length) : null;
          showErrors(documentId ? { [`doc:${documentId}`]: t("documentMissing") } : { [field]: text }, step);
        } else setMessage(error.message);
      } else setMessage(t("failed"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {header}
      <Progress n={total} m={total} label={t("stepOf", { n: total, m: total })} />
      <section class="card">
        <h1 tabIndex={-1} ref={heading}>
          {t("reviewTitle")}
        </h1>
        <p class="hint">{t("reviewIntro")}</p>
        {errorSummary(null)}
        {steps.map((step) => (
          <ReviewStep key={step.id} step={step} data={values[step.id] ?? {}} journey={journey} uploads={uploads} language={language} t={t} onEdit={() => goTo(step.id)} />
        ))}
        <div class="actions">
          <button type="button" disabled={busy} onClick={submit}>
            {busy ? t("submitting") : t("submit")}
          </button>
          {steps.length ? (
            <button type="button" class="secondary" onClick={() => goTo(steps[steps.length - 1].id)}>
              {t("back")}
            </button>
          ) : null}
        </div>
      </section>
    </>
  );
}

/** Where the form names a person (the list and their place in it), for inviting them again. */
function personPlace(data: Record<string, unknown>, personId: string): { people: "ubos" | "directors"; index: number } | null {
  for (const step of Object.values(data)) {
    if (!step || typeof step !== "object") continue;
    for (const people of ["ubos", "directors"] as const) {
      const listed = (step as Record<string, unknown>)[people];
      const index = Array.isArray(listed) ? listed.findIndex((p) => (p as Record<string, unknown> | null)?.id === personId) : -1;
      if (index >= 0) return { people, index };
    }
  }
  return null;
}
