/** What the queue and the case view flag about a case's handling: escalated to a role, past its review SLA. */
import { when } from "../format";
import type { Case } from "../model";

export function TeamBadges({ item }: { item: Case }) {
  return (
    <>
      {item.escalation && (
        <span class="badge escalated" data-testid="escalated-badge" title={item.escalation.reason}>
          escalated to {item.escalation.to}
        </span>
      )}
      {item.overdue ? (
        <span class="badge overdue" data-testid="overdue-badge" title={item.review_due_at ? `due ${when(item.review_due_at)}` : undefined}>
          overdue
        </span>
      ) : (
        item.review_due_at && (
          <span class="muted small review-due" data-testid="review-due">
            due {when(item.review_due_at)}
          </span>
        )
      )}
    </>
  );
}
