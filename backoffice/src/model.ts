/** What the reviewers' API returns. Fields other parts of the system add are optional: render what is there. */
export type CaseState =
  | "collecting"
  | "awaiting_people"
  | "processing"
  | "manual_review"
  | "revision_requested"
  | "approved"
  | "rejected"
  | "failed";

export const STATES: CaseState[] = [
  "manual_review",
  "revision_requested",
  "collecting",
  "awaiting_people",
  "processing",
  "approved",
  "rejected",
  "failed",
];

export const RISK_LEVELS = ["low", "medium", "high", "critical"];

export interface Actor {
  type: string;
  id: string;
  email?: string | null;
}

export interface Page {
  index: number;
  status: string;
  content_type?: string | null;
  width?: number | null;
  height?: number | null;
  page_count?: number | null;
  reason?: string | null;
  url?: string | null;
  thumbnail_url?: string | null;
  [key: string]: unknown;
}

export interface Document {
  id: string;
  type: string;
  category?: string | null;
  issuer?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  pages: Page[];
  version?: number;
  decision?: { decision: string; reason?: string | null; decided_by?: string | null } | null;
  [key: string]: unknown;
}

export interface Case {
  id: string;
  workflow_id: string;
  workflow_version?: number;
  state: CaseState;
  entity: Record<string, any>;
  entity_name: string;
  documents: Document[];
  correlation_id?: string | null;
  parent_case_id?: string | null;
  child_case_ids?: string[];
  assignee?: { id: string; email?: string | null } | null;
  /** Escalated to a role: only reviewers holding it decide the case. */
  escalation?: { to: string; reason: string; actor: Actor; at: string } | null;
  /** When its review is due (its workflow's SLA), and whether that is past. */
  review_due_at?: string | null;
  overdue?: boolean;
  risk?: {
    score: number;
    level: string;
    recommendation: string;
    hits?: Record<string, any>[];
    errors?: Record<string, any>[];
    rule_set?: { id: string; version: number } | null;
    /** Underwriting: the terms the rules propose (the strictest of every hit's). */
    terms?: Terms | null;
  } | null;
  decision?: {
    outcome: string;
    reason: string;
    actor: Actor;
    at: string;
    automatic?: boolean;
    confirmed_by?: Actor | null;
    /** Underwriting: the terms the approval granted. */
    terms?: Terms | null;
  } | null;
  /** A decision awaiting a second reviewer (the workflow's review policy). */
  proposal?: Proposal | null;
  pending_second_review?: boolean;
  revision?: { reason: string; document_ids: string[]; actor: Actor; at: string } | null;
  /** The owners and directors the case waited for after its applicant submitted (`done_at`: when they finished). */
  awaited_people?: { id: string; name: string; done_at?: string | null }[];
  flags?: { code: string; message: string; severity: string; source?: string | null }[];
  version: number;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: Actor;
  action: string;
  from_state?: string | null;
  to_state?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface Step {
  state: string;
  type: string;
  entered_at: string;
  exited_at?: string;
  status: string;
  error?: string;
  /** `automation`: a step of a run of the automated part (Express); `workflow`: the Standard execution's. */
  machine?: "automation" | "workflow";
  run?: number;
  /** The top-level state a nested step ran within (`ChecksAndOwners`), and the check or owner of its iteration. */
  within?: string;
  item?: string;
  retries?: number;
}

export interface Proposal {
  decision: "approve" | "reject";
  reason: string;
  requires: string[];
  role: string;
  actor: Actor;
  at: string;
}

export interface Action {
  allowed: boolean;
  reason: string | null;
  /** When allowed: why the decision becomes a proposal a second reviewer confirms. */
  second_review?: string | null;
}

export interface CaseDetail {
  case: Case;
  audit: AuditEntry[];
  checks: Record<string, Record<string, any>>;
  children: Case[];
  path: Step[];
  actions: Record<string, Action>;
  /** The fields of the case's collection journey a revision may send back to the applicant. */
  revision_fields?: { path: string; label: string }[];
  [key: string]: unknown;
}

export interface Me {
  kind: string;
  tenant_id: string;
  id: string;
  email?: string | null;
  roles: string[];
}

/** A reviewer of the tenant, as the directory lists them. */
export interface Reviewer {
  id: string;
  email?: string | null;
  name?: string | null;
  roles: string[];
  enabled: boolean;
}

/** A merchant's underwriting terms (docs/underwriting.md). */
export interface Terms {
  risk_tier?: "low" | "medium" | "high" | "very_high" | null;
  monthly_limit?: number | null;
  currency?: string | null;
  reserve_percent?: number | null;
  reserve_days?: number | null;
  settlement_delay_days?: number | null;
  conditions?: string[];
}
