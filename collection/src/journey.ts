// Which steps and document slots a link opens, from the journey the API gives.
import type { Journey, Slot, Step } from "./api";
import { slotDocumentId, type Values } from "./form";
import { shows } from "./jsonlogic";

/** The steps this link opens (the server gives a person's link their own): visible ones, only what a revision sent back. */
export function openSteps(journey: Journey): Step[] {
  return journey.steps.filter(
    (step) =>
      step.visible &&
      (!journey.revision ||
        journey.revision.steps.includes(step.id) ||
        step.documents.some((slot) => journey.revision!.documents.some((d) => d === slot.id || d.startsWith(slot.id + ".")))),
  );
}

/** The document slots a step shows, each with its document id (per-owner slots are drawn with their owner). */
export function stepSlots(journey: Journey, step: Step): { slot: Slot; documentId: string }[] {
  const revision = journey.revision;
  return step.documents
    .filter((slot) => !slot.per_owner && slot.visible)
    .filter((slot) => !revision || revision.steps.includes(step.id) || revision.documents.includes(slot.id))
    .map((slot) => ({ slot, documentId: journey.person_id ? `${slot.id}.${journey.person_id}` : slotDocumentId(slot.id) }));
}

/** An owner's slots, unless they were sent a link of their own (`invited`): then they upload their own ID. */
export function ownerSlots(step: Step, owner: Values, index: number, invited: string[] = []): { slot: Slot; documentId: string }[] {
  if (typeof owner.id === "string" && invited.includes(owner.id)) return [];
  return step.documents
    .filter((slot) => slot.per_owner && shows(slot.show_if, { owner }))
    .map((slot) => ({ slot, documentId: slotDocumentId(slot.id, index) }));
}
