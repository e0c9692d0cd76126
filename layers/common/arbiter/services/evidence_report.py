"""The evidence bundle's PDF report, drawn with ReportLab from the same data as case.json: a title page with the
entity and the decision, then owners, documents (with thumbnails), checks, rule hits, decisions, the timeline,
the audit chain's verification and the webhook deliveries.

Everything in the data is untrusted text (an entity's name is whatever an integrator sent): it is escaped before
it reaches ReportLab's paragraph markup, and long values wrap (or are cut, for JSON blobs) to stay readable.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus.doctemplate import SimpleDocTemplate
from reportlab.platypus.flowables import Flowable, Image, KeepTogether, PageBreak, Spacer
from reportlab.platypus.paragraph import Paragraph
from reportlab.platypus.tables import Table, TableStyle

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from arbiter.services.evidence import BundleFile, Evidence

__all__ = ["render_report"]

#: Longest value shown in a cell; the whole value is in case.json.
MAX_VALUE_CHARS = 1500
THUMBNAIL_MM = 40
_WIDTH = A4[0] - 36 * mm

_SHEET = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_SHEET["BodyText"], fontSize=9, leading=11, splitLongWords=True)
_SMALL = ParagraphStyle(
    "small", parent=_BODY, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#333333")
)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8, leading=10)
_H1 = ParagraphStyle("h1", parent=_SHEET["Title"], fontSize=20, leading=24)
_H2 = ParagraphStyle("h2", parent=_SHEET["Heading2"], spaceBefore=10)
_H3 = ParagraphStyle("h3", parent=_SHEET["Heading4"], spaceBefore=6, spaceAfter=2)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
_PAIRS = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]
)


def text(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A value as safe paragraph markup: JSON for structures, cut at `limit`, escaped, newlines kept."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    shown = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    )
    if len(shown) > limit:
        shown = shown[:limit] + " … (cut; whole value in case.json)"
    return escape(shown).replace("\n", "<br/>")


def para(value: Any, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(text(value), style)


def pairs(rows: list[tuple[str, Any]]) -> Table:
    """Label / value rows (labels are ours, values untrusted)."""
    table = Table(
        [[Paragraph(f"<b>{escape(label)}</b>", _CELL), para(value)] for label, value in rows],
        colWidths=[45 * mm, _WIDTH - 45 * mm],
    )
    table.setStyle(_PAIRS)
    return table


def grid(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    """A table with a header row; every cell wraps."""
    total = sum(widths)
    body: list[list[Flowable]] = [[Paragraph(f"<b>{escape(h)}</b>", _CELL) for h in header]]
    body += [[c if isinstance(c, Flowable) else para(c) for c in row] for row in rows]
    table = Table(body, colWidths=[_WIDTH * w / total for w in widths], repeatRows=1)
    table.setStyle(_GRID)
    return table


def who(actor: dict[str, Any] | None) -> str:
    if not actor:
        return "—"
    name = actor.get("email") or actor.get("id") or "?"
    return f"{name} ({actor.get('type', '?')})"


def when(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return iso


def render_report(evidence: Evidence) -> bytes:
    """The PDF report of `evidence` (bytes of a PDF file)."""
    data = evidence.data
    case = data["case"]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Evidence bundle — case {case['id']}",
        author="Arbiter",
        subject="Case evidence",
    )
    story: list[Flowable] = []
    story += title_page(data)
    story += [PageBreak()]
    story += owners_section(data)
    story += documents_section(data, evidence.files)
    story += checks_section(data)
    story += rule_hits_section(data)
    story += decisions_section(data)
    story += timeline_section(data)
    story += audit_section(data)
    story += webhooks_section(data)

    def footer(canvas: Canvas, _document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(
            18 * mm, 9 * mm, f"Arbiter evidence bundle · case {case['id']} · {data['generated_at']}"
        )
        canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def title_page(data: dict[str, Any]) -> list[Flowable]:
    case, decision, risk = data["case"], data.get("decision"), data.get("risk")
    audit = data["audit_verification"]
    outcome = (
        f"{decision['outcome']}" + (" (automatic)" if decision.get("automatic") else "")
        if decision
        else f"not decided (state: {case['state']})"
    )
    rows: list[tuple[str, Any]] = [
        ("Case", case["id"]),
        ("Workflow", f"{case['workflow_id']} v{case['workflow_version']}"),
        ("Entity", data["entity"].get("type")),
        ("Entity id", data["entity"].get("id")),
        ("State", case["state"]),
        ("Decision", outcome),
    ]
    if decision:
        rows += [
            ("Reason", decision.get("reason")),
            ("Decided by", who(decision.get("actor"))),
            ("Decided at", when(decision.get("at"))),
        ]
        if decision.get("confirmed_by"):
            rows.append(("Confirmed by (four eyes)", who(decision["confirmed_by"])))
    if risk:
        rule_set = risk.get("rule_set") or {}
        rows += [
            ("Risk", f"{risk['level']} (score {risk['score']}), recommended {risk['recommendation']}"),
            ("Rule set", f"{rule_set.get('id')} v{rule_set.get('version')}" if rule_set else None),
        ]
    rows += [
        ("Audit trail", _audit_summary(audit)),
        ("Opened", when(case["created_at"])),
        ("Generated", f"{when(data['generated_at'])} by {who(data['generated_by'])}"),
    ]
    return [
        Paragraph("Case evidence", _SHEET["Heading3"]),
        Paragraph(text(case.get("entity_name") or "(no name)"), _H1),
        Spacer(1, 6 * mm),
        pairs(rows),
        Spacer(1, 6 * mm),
        Paragraph(
            "This report and case.json in the same bundle hold the same data; documents/ holds each stored "
            "page's file as received. The bundle's SHA-256 is recorded in the case's audit trail "
            "(evidence.exported).",
            _SMALL,
        ),
    ]


def _audit_summary(audit: dict[str, Any]) -> str:
    if audit.get("valid"):
        return f"verified: {audit['entries']} entries, head {audit.get('head') or '—'}"
    broken = audit.get("broken_at") or {}
    return (
        f"BROKEN at entry {broken.get('index')} ({broken.get('entry_id')}): {broken.get('reason')}, "
        f"{broken.get('detail')}"
    )


def owners_section(data: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Entity and owners", _H2)]
    entity = data["entity"]
    details = entity.get("business") or entity.get("individual") or {}
    people = (details.get("ubos") or []) + (details.get("directors") or [])
    plain = {k: v for k, v in details.items() if k not in ("ubos", "directors")}
    story.append(pairs([(k.replace("_", " "), v) for k, v in sorted(plain.items())] or [("data", None)]))
    if people:
        story.append(Paragraph("Related people", _H3))
        story.append(
            grid(
                ["Name", "Roles", "Ownership %", "Born", "Nationality"],
                [
                    [
                        p.get("full_name")
                        or " ".join(filter(None, [p.get("first_name"), p.get("last_name")])),
                        ", ".join(p.get("roles") or []),
                        p.get("ownership_percent"),
                        p.get("date_of_birth"),
                        p.get("nationality"),
                    ]
                    for p in people
                ],
                [4, 3, 2, 2, 2],
            )
        )
    if data["owners"]:
        story.append(Paragraph("Owners' cases", _H3))
        story.append(
            grid(
                ["Case", "Name", "State", "Risk", "Flags", "Decision"],
                [
                    [
                        o["case_id"],
                        o["name"],
                        o["state"],
                        f"{o['risk']['level']} ({o['risk']['score']})" if o.get("risk") else None,
                        ", ".join(f"{f['code']} ({f['severity']})" for f in o["flags"]),
                        _decision_line(o.get("decision")),
                    ]
                    for o in data["owners"]
                ],
                [4, 3, 2, 2, 3, 4],
            )
        )
    return story


def _decision_line(decision: dict[str, Any] | None) -> str | None:
    if not decision:
        return None
    return f"{decision['outcome']} by {who(decision.get('actor'))} at {when(decision.get('at'))}: {decision.get('reason')}"


def thumbnail(file: BundleFile) -> Flowable | None:
    """The page's preview scaled into a THUMBNAIL_MM box; None if there is none or it cannot be drawn."""
    if not file.preview:
        return None
    try:
        width, height = ImageReader(io.BytesIO(file.preview)).getSize()
        scale = min(THUMBNAIL_MM * mm / width, THUMBNAIL_MM * mm / height)
        return Image(io.BytesIO(file.preview), width=width * scale, height=height * scale)
    except Exception:  # an unreadable preview is shown as text; the file itself is in the bundle
        return None


def documents_section(data: dict[str, Any], files: list[BundleFile]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Documents", _H2)]
    if not data["documents"]:
        story.append(Paragraph("No documents.", _BODY))
    by_path = {f.path: f for f in files}
    for document in data["documents"]:
        decision = document.get("decision") or {}
        heading = f"{document['type']} — {document['id']} (version {document['version']})"
        block: list[Flowable] = [Paragraph(text(heading), _H3)]
        block.append(
            pairs(
                [
                    ("Category", document.get("category")),
                    ("Issuer", document.get("issuer")),
                    ("Properties", document.get("properties")),
                    (
                        "Decision",
                        f"{decision.get('decision')} by {decision.get('decided_by')}: {decision.get('reason') or ''}"
                        if decision
                        else None,
                    ),
                ]
            )
        )
        rows: list[list[Any]] = []
        for version in document["versions"]:
            for page in version["pages"]:
                file = by_path.get(page["file"]) if page["file"] else None
                picture = thumbnail(file) if file else None
                rows.append(
                    [
                        picture or para("(no preview)" if file else "(no file)"),
                        f"version {version['version']}, page {page['index'] + 1}",
                        f"{page['status']}; {page.get('content_type') or '?'}; {page.get('size_bytes') or '?'} bytes"
                        + (f"; {page['reason']}" if page.get("reason") else ""),
                        page.get("sha256"),
                        page["file"],
                    ]
                )
        if rows:
            block.append(Spacer(1, 2 * mm))
            block.append(
                grid(["Preview", "Page", "Status", "SHA-256", "File in bundle"], rows, [4.4, 2, 3, 4, 4])
            )
        story.append(KeepTogether(block[:2]))
        story += block[2:]
    return story


def checks_section(data: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Checks", _H2)]
    checks = data["checks"]
    if not checks:
        story.append(Paragraph("No check results.", _BODY))
    for name, result in checks.items():
        story.append(Paragraph(text(f"{name}: {result.get('status', '?')}"), _H3))
        flags = result.get("flags") or []
        if flags:
            story.append(
                grid(
                    ["Flag", "Severity", "Message"],
                    [
                        [f.get("code"), f.get("severity"), f.get("message")]
                        for f in flags
                        if isinstance(f, dict)
                    ],
                    [3, 2, 7],
                )
            )
        matches = (result.get("data") or {}).get("matches") if isinstance(result.get("data"), dict) else None
        if matches:
            story.append(Paragraph("Matches and why they matched", _SMALL))
            story.append(
                grid(
                    ["Listed", "Score", "Explanation"],
                    [
                        [
                            (m.get("explanation") or {}).get("listed_name")
                            or (m.get("entry") or {}).get("caption"),
                            m.get("score"),
                            m.get("explanation"),
                        ]
                        for m in matches
                        if isinstance(m, dict)
                    ],
                    [3, 1.5, 8],
                )
            )
        rest = {k: v for k, v in result.items() if k not in ("status", "flags")}
        if rest:
            story.append(Paragraph(text(rest), _SMALL))
    if data["flags"]:
        story.append(Paragraph("Flags on the case", _H3))
        story.append(
            grid(
                ["Flag", "Severity", "Source", "Message"],
                [[f["code"], f["severity"], f.get("source"), f["message"]] for f in data["flags"]],
                [3, 2, 3, 6],
            )
        )
    return story


def rule_hits_section(data: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Rule hits", _H2)]
    risk = data.get("risk")
    if not risk:
        return [*story, Paragraph("The case has no automatic assessment.", _BODY)]
    rule_set = risk.get("rule_set") or {}
    story.append(
        Paragraph(
            text(
                f"Rule set {rule_set.get('id')} v{rule_set.get('version')}, evaluated {when(risk['evaluated_at'])}: "
                f"score {risk['score']}, level {risk['level']}, recommendation {risk['recommendation']}"
            ),
            _BODY,
        )
    )
    if risk["hits"]:
        story.append(
            grid(
                ["Rule", "Severity / score", "Outcome", "Values read", "Why"],
                [
                    [
                        f"{h.get('name') or h.get('rule_id')} ({h.get('rule_id')})",
                        f"{h.get('severity')} / {h.get('score')}",
                        h.get("outcome"),
                        h.get("values"),
                        h.get("explanation"),
                    ]
                    for h in risk["hits"]
                ],
                [3, 2, 2, 4, 4],
            )
        )
    else:
        story.append(Paragraph("No rule hit.", _BODY))
    if risk.get("errors"):
        story.append(Paragraph("Rule errors", _H3))
        story.append(Paragraph(text(risk["errors"]), _SMALL))
    if risk.get("inputs"):
        story.append(Paragraph("What the assessment read (risk inputs)", _H3))
        story.append(Paragraph(text(risk["inputs"], limit=4000), _SMALL))
    return story


def decisions_section(data: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Decisions", _H2)]
    if data.get("proposal"):
        proposal = data["proposal"]
        story.append(
            Paragraph(
                text(
                    f"Pending second review: {proposal['decision']} proposed by {who(proposal.get('actor'))} "
                    f"at {when(proposal.get('at'))} ({proposal.get('reason')}); requires {proposal.get('requires')}"
                ),
                _BODY,
            )
        )
    if not data["decisions"]:
        return [*story, Paragraph("No decision yet.", _BODY)]
    story.append(
        grid(
            ["When", "Who", "What", "Why", "Details"],
            [
                [when(e["at"]), who(e["actor"]), _action(e), e.get("reason"), e.get("details")]
                for e in data["decisions"]
            ],
            [3, 3.5, 3, 4, 4],
        )
    )
    return story


def _action(entry: dict[str, Any]) -> str:
    states = " → ".join(s for s in (entry.get("from_state"), entry.get("to_state")) if s)
    return f"{entry['action']} ({states})" if states else entry["action"]


def timeline_section(data: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Timeline", _H2)]
    story.append(
        grid(
            ["When", "Who", "What", "Why / details"],
            [
                [when(e["at"]), who(e["actor"]), _action(e), {"reason": e["reason"], **e["details"]}]
                if e.get("reason")
                else [when(e["at"]), who(e["actor"]), _action(e), e.get("details")]
                for e in data["timeline"]
            ],
            [3, 3.5, 3.5, 6],
        )
    )
    if data.get("workflow_path"):
        story.append(Paragraph("Workflow steps", _H3))
        story.append(
            grid(
                ["Entered", "Machine", "State", "Status"],
                [
                    [
                        when(s.get("entered_at")),
                        s.get("machine"),
                        s.get("state") + (f" ({s['item']})" if s.get("item") else ""),
                        s.get("status") or "",
                    ]
                    for s in data["workflow_path"]
                ],
                [3, 2, 5, 2],
            )
        )
    return story


def audit_section(data: dict[str, Any]) -> list[Flowable]:
    audit = data["audit_verification"]
    anchored = audit.get("anchored") or {}
    return [
        Paragraph("Audit trail verification", _H2),
        pairs(
            [
                ("Result", "valid" if audit.get("valid") else "BROKEN"),
                ("Entries", audit.get("entries")),
                ("Unchained (before chaining)", audit.get("unchained")),
                ("Head", audit.get("head")),
                ("Anchored in daily digest", anchored or None),
                ("First broken entry", audit.get("broken_at")),
            ]
        ),
        Paragraph(
            "Each audit entry's SHA-256 covers its content and the previous entry's hash; the head is compared "
            "with the one on the case and with the daily digest stored under Object Lock.",
            _SMALL,
        ),
    ]


def webhooks_section(data: dict[str, Any]) -> list[Flowable]:
    deliveries = data.get("webhook_deliveries") or []
    if not deliveries:
        return []
    return [
        Paragraph("Webhook deliveries", _H2),
        grid(
            ["Event", "Endpoint", "Status", "Attempts", "Last"],
            [
                [
                    d.get("event_type"),
                    d.get("url") or d.get("webhook_id"),
                    d.get("status"),
                    d.get("attempts"),
                    d,
                ]
                for d in deliveries
            ],
            [3, 4, 2, 1.5, 5],
        ),
    ]
