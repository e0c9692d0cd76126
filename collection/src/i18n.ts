// The site's own words in each language the journeys are written in; the journey brings its own texts.

export const LANGUAGES = ["en", "de", "es"] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: "English", de: "Deutsch", es: "Español" };

const en = {
  invite: "Invite them to fill in their own part",
  inviteLink: "Their own link (send it to them)",
  copy: "Copy link",
  copied: "Copied",
  application: "Your application",
  language: "Language",
  loading: "Loading your application…",
  stepOf: "Step {n} of {m}",
  reviewStep: "Review",
  continue: "Save and continue",
  back: "Back",
  saving: "Saving…",
  saved: "Saved",
  add: "Add",
  remove: "Remove",
  item: "{label} {n}",
  none: "None added yet.",
  choose: "Choose…",
  optional: "optional",
  chooseFile: "Choose a file",
  takePhoto: "Take a photo",
  uploading: "Uploading…",
  uploaded: "Uploaded",
  replace: "You can upload it again to replace it.",
  notUploaded: "Not uploaded",
  fileType: "Upload a photo (JPEG, PNG, WebP) or a PDF.",
  uploadFailed: "The upload failed. Try again.",
  documents: "Documents",
  errorsTitle: "Please correct the following:",
  required: "This field is required.",
  invalid: "This value is not valid.",
  tooLong: "At most {n} characters.",
  tooSmall: "At least {n}.",
  tooLarge: "At most {n}.",
  atLeastItems: "Add at least {n}.",
  date: "Enter a date.",
  email: "Enter an e-mail address.",
  documentMissing: "Upload this document.",
  reviewTitle: "Check your answers",
  reviewIntro: "Check what you entered. You can still change anything before you submit.",
  edit: "Change",
  submit: "Submit application",
  submitting: "Submitting…",
  doneTitle: "Thank you",
  doneText: "We have your application and will be in touch.",
  waitingTitle: "Your application is waiting",
  reinvite: "Send {name} a new link",
  waitingText: "We have your answers. Your application now waits for {names} to finish their own part; it goes on as soon as they have.",
  invalidTitle: "This link has expired or is not valid",
  invalidText: "Ask the company that sent it to you for a new link.",
  failed: "Something went wrong. Try again in a moment.",
  revisionTitle: "We need a few changes",
  revisionReason: "What we asked for:",
  revisionFields: "Please check on this page:",
  inviteEmail: "Their e-mail (optional: we send them their link)",
  inviteSent: "We e-mailed their link to {email}.",
  yes: "Yes",
  no: "No",
};

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  invite: "Person einladen, ihren Teil selbst auszufüllen",
  inviteLink: "Ihr eigener Link (senden Sie ihn der Person)",
  copy: "Link kopieren",
  copied: "Kopiert",
  application: "Ihr Antrag",
  language: "Sprache",
  loading: "Ihr Antrag wird geladen…",
  stepOf: "Schritt {n} von {m}",
  reviewStep: "Prüfen",
  continue: "Speichern und weiter",
  back: "Zurück",
  saving: "Wird gespeichert…",
  saved: "Gespeichert",
  add: "Hinzufügen",
  remove: "Entfernen",
  item: "{label} {n}",
  none: "Noch niemand hinzugefügt.",
  choose: "Bitte wählen…",
  optional: "optional",
  chooseFile: "Datei auswählen",
  takePhoto: "Foto aufnehmen",
  uploading: "Wird hochgeladen…",
  uploaded: "Hochgeladen",
  replace: "Sie können es erneut hochladen, um es zu ersetzen.",
  notUploaded: "Nicht hochgeladen",
  fileType: "Laden Sie ein Foto (JPEG, PNG, WebP) oder ein PDF hoch.",
  uploadFailed: "Das Hochladen ist fehlgeschlagen. Bitte erneut versuchen.",
  documents: "Dokumente",
  errorsTitle: "Bitte korrigieren Sie Folgendes:",
  required: "Dieses Feld ist erforderlich.",
  invalid: "Dieser Wert ist ungültig.",
  tooLong: "Höchstens {n} Zeichen.",
  tooSmall: "Mindestens {n}.",
  tooLarge: "Höchstens {n}.",
  atLeastItems: "Fügen Sie mindestens {n} hinzu.",
  date: "Geben Sie ein Datum ein.",
  email: "Geben Sie eine E-Mail-Adresse ein.",
  documentMissing: "Laden Sie dieses Dokument hoch.",
  reviewTitle: "Angaben prüfen",
  reviewIntro: "Prüfen Sie Ihre Angaben. Vor dem Absenden können Sie alles noch ändern.",
  edit: "Ändern",
  submit: "Antrag absenden",
  submitting: "Wird gesendet…",
  doneTitle: "Vielen Dank",
  doneText: "Ihr Antrag ist bei uns eingegangen. Wir melden uns bei Ihnen.",
  waitingTitle: "Ihr Antrag wartet",
  reinvite: "{name} einen neuen Link senden",
  waitingText: "Ihre Angaben sind bei uns. Ihr Antrag wartet nun darauf, dass {names} den eigenen Teil abschließt; danach geht es sofort weiter.",
  invalidTitle: "Dieser Link ist abgelaufen oder ungültig",
  invalidText: "Bitten Sie das Unternehmen, das ihn Ihnen geschickt hat, um einen neuen Link.",
  failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es gleich noch einmal.",
  revisionTitle: "Wir benötigen einige Änderungen",
  revisionReason: "Worum wir Sie bitten:",
  revisionFields: "Bitte prüfen Sie auf dieser Seite:",
  inviteEmail: "Ihre E-Mail-Adresse (optional: wir senden der Person ihren Link)",
  inviteSent: "Wir haben den Link an {email} gesendet.",
  yes: "Ja",
  no: "Nein",
};

const es: Record<Key, string> = {
  invite: "Invitarle a completar su parte",
  inviteLink: "Su propio enlace (envíeselo)",
  copy: "Copiar enlace",
  copied: "Copiado",
  application: "Su solicitud",
  language: "Idioma",
  loading: "Cargando su solicitud…",
  stepOf: "Paso {n} de {m}",
  reviewStep: "Revisar",
  continue: "Guardar y continuar",
  back: "Atrás",
  saving: "Guardando…",
  saved: "Guardado",
  add: "Añadir",
  remove: "Quitar",
  item: "{label} {n}",
  none: "Todavía no ha añadido a nadie.",
  choose: "Elija…",
  optional: "opcional",
  chooseFile: "Elegir un archivo",
  takePhoto: "Hacer una foto",
  uploading: "Subiendo…",
  uploaded: "Subido",
  replace: "Puede subirlo de nuevo para sustituirlo.",
  notUploaded: "Sin subir",
  fileType: "Suba una foto (JPEG, PNG, WebP) o un PDF.",
  uploadFailed: "No se pudo subir. Inténtelo de nuevo.",
  documents: "Documentos",
  errorsTitle: "Corrija lo siguiente:",
  required: "Este campo es obligatorio.",
  invalid: "Este valor no es válido.",
  tooLong: "Como máximo {n} caracteres.",
  tooSmall: "Como mínimo {n}.",
  tooLarge: "Como máximo {n}.",
  atLeastItems: "Añada al menos {n}.",
  date: "Introduzca una fecha.",
  email: "Introduzca una dirección de correo electrónico.",
  documentMissing: "Suba este documento.",
  reviewTitle: "Revise sus datos",
  reviewIntro: "Revise lo que ha introducido. Puede cambiar cualquier cosa antes de enviar.",
  edit: "Cambiar",
  submit: "Enviar solicitud",
  submitting: "Enviando…",
  doneTitle: "Gracias",
  doneText: "Hemos recibido su solicitud y nos pondremos en contacto con usted.",
  waitingTitle: "Su solicitud está en espera",
  reinvite: "Enviar un enlace nuevo a {name}",
  waitingText: "Tenemos sus respuestas. Su solicitud espera ahora a que {names} complete su propia parte; continuará en cuanto lo haga.",
  invalidTitle: "Este enlace ha caducado o no es válido",
  invalidText: "Pida un enlace nuevo a la empresa que se lo envió.",
  failed: "Algo ha fallado. Inténtelo de nuevo en un momento.",
  revisionTitle: "Necesitamos algunos cambios",
  revisionReason: "Lo que le pedimos:",
  revisionFields: "Revise en esta página:",
  inviteEmail: "Su correo electrónico (opcional: le enviamos su enlace)",
  inviteSent: "Hemos enviado su enlace a {email}.",
  yes: "Sí",
  no: "No",
};

const DICTIONARY: Record<Language, Record<Key, string>> = { en, de, es };

/** Field names the journeys' array items share, for those a step does not label itself. */
const FIELD_NAMES: Record<string, Record<Language, string>> = {
  first_name: { en: "First name", de: "Vorname", es: "Nombre" },
  last_name: { en: "Last name", de: "Nachname", es: "Apellidos" },
  date_of_birth: { en: "Date of birth", de: "Geburtsdatum", es: "Fecha de nacimiento" },
  nationality: { en: "Nationality", de: "Staatsangehörigkeit", es: "Nacionalidad" },
  ownership_percent: { en: "Ownership (%)", de: "Anteil (%)", es: "Participación (%)" },
  email: { en: "Email", de: "E-Mail", es: "Correo electrónico" },
};

export type Translate = (key: Key, values?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  return (key, values) =>
    DICTIONARY[language][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values?.[name] ?? ""));
}

export function fieldName(name: string, language: Language): string {
  const known = FIELD_NAMES[name];
  if (known) return known[language];
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** The browser's first preferred language the site speaks, or null. */
export function browserLanguage(): Language | null {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split("-")[0];
    if (isLanguage(primary)) return primary;
  }
  return null;
}
