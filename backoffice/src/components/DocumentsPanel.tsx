/** Documents and their pages: thumbnails, and a viewer with zoom, rotation, full size and PDFs. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { label, text } from "../format";
import type { Document, Page } from "../model";
import { Dialog, Section } from "./ui";

/** The page's short-lived address, under whichever name the API gives it. */
export function pageUrl(page: Page): string | null {
  const urls = (page.urls ?? {}) as Record<string, string>;
  return (page.url ?? page.view_url ?? page.download_url ?? page.presigned_url ?? urls.page ?? urls.view ?? null) as string | null;
}

function thumbnailUrl(page: Page): string | null {
  const urls = (page.urls ?? {}) as Record<string, string>;
  return (page.thumbnail_url ?? urls.thumbnail ?? null) as string | null;
}

function isPdf(page: Page): boolean {
  return page.content_type === "application/pdf";
}

interface PageLinks {
  url?: string | null;
  thumbnail_url?: string | null;
  content_type?: string | null;
}

/** Short-lived links of an available page, asked of the review API (only this tenant's reviewers get them). */
function fetchLinks(caseId: string, doc: Document, page: Page): Promise<PageLinks> {
  const path = `/v1/review/cases/${encodeURIComponent(caseId)}/documents/${encodeURIComponent(doc.id)}/pages/${page.index}`;
  return api<PageLinks>("GET", path);
}

/** The page with its links: given inline by the case view, or fetched for available pages. */
function useLinkedPages(caseId: string, documents: Document[]): Record<string, Page> {
  const [linked, setLinked] = useState<Record<string, Page>>({});
  const signature = documents.map((d) => `${d.id}:${d.version}:${d.pages.map((p) => p.status).join(",")}`).join("|");
  useEffect(() => {
    let live = true;
    for (const doc of documents) {
      for (const page of doc.pages) {
        if (pageUrl(page) || page.status !== "available") continue;
        fetchLinks(caseId, doc, page)
          .then((links) => {
            if (!live) return;
            setLinked((current) => ({
              ...current,
              [`${doc.id}#${page.index}`]: { ...page, url: links.url, thumbnail_url: links.thumbnail_url, content_type: links.content_type ?? page.content_type },
            }));
          })
          .catch(() => undefined); // the page stays without a preview; opening it says why
      }
    }
    return () => {
      live = false;
    };
  }, [caseId, signature]);
  return linked;
}

export function DocumentsPanel({ caseId, documents }: { caseId: string; documents: Document[] }) {
  const [open, setOpen] = useState<{ doc: Document; page: Page } | null>(null);
  const linked = useLinkedPages(caseId, documents);
  return (
    <Section title="Documents" id="documents">
      {documents.length === 0 && <p class="muted">No documents.</p>}
      {documents.map((doc) => (
        <article class="document" key={doc.id} data-document-id={doc.id}>
          <h3>
            {label(doc.type)}
            {doc.category && <span class="muted small"> · {label(doc.category)}</span>}
            {doc.version && doc.version > 1 && <span class="muted small"> · version {doc.version}</span>}
            {doc.decision && <span class={`badge doc-${doc.decision.decision}`}>{label(doc.decision.decision)}</span>}
          </h3>
          {doc.decision?.reason && <p class="small">Reviewer: {doc.decision.reason}</p>}
          {doc.properties && Object.keys(doc.properties).length > 0 && (
            <dl class="kv compact">
              {Object.entries(doc.properties).map(([k, v]) => (
                <div key={k}>
                  <dt>{label(k)}</dt>
                  <dd>{text(v)}</dd>
                </div>
              ))}
            </dl>
          )}
          <div class="pages">
            {doc.pages.map((original) => {
              const page = linked[`${doc.id}#${original.index}`] ?? original;
              const url = pageUrl(page);
              const thumb = thumbnailUrl(page) ?? (url && !isPdf(page) ? url : null);
              return (
                <button
                  type="button"
                  class="page-thumb"
                  key={page.index}
                  disabled={!url}
                  title={url ? "View page" : page.reason || `Page is ${page.status}`}
                  onClick={() => setOpen({ doc, page })}
                  aria-label={`${label(doc.type)} page ${page.index + 1}`}
                >
                  {thumb ? <img src={thumb} alt="" loading="lazy" /> : <span class="placeholder">{isPdf(page) ? "PDF" : "—"}</span>}
                  <span class="small">
                    Page {page.index + 1} · {label(page.status)}
                  </span>
                  {page.reason && <span class="small error-text">{page.reason}</span>}
                </button>
              );
            })}
          </div>
        </article>
      ))}
      {open && <PageViewer doc={open.doc} page={open.page} onClose={() => setOpen(null)} />}
    </Section>
  );
}

export function PageViewer({ doc, page, onClose }: { doc: Document; page: Page; onClose: () => void }) {
  const [zoom, setZoom] = useState(1);
  const [rotation, setRotation] = useState(0);
  const [full, setFull] = useState(false);
  const [failed, setFailed] = useState(false);
  const url = pageUrl(page);
  return (
    <Dialog title={`${label(doc.type)} — page ${page.index + 1}`} onClose={onClose}>
      <div class="viewer-tools" role="toolbar" aria-label="Page view">
        <button type="button" onClick={() => setZoom((z) => Math.max(0.25, z / 1.25))} aria-label="Zoom out">
          −
        </button>
        <span data-testid="zoom">{Math.round(zoom * 100)}%</span>
        <button type="button" onClick={() => setZoom((z) => Math.min(8, z * 1.25))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => setRotation((r) => (r + 90) % 360)} aria-label="Rotate">
          ⟳ Rotate
        </button>
        <button type="button" onClick={() => setFull((f) => !f)} aria-pressed={full}>
          {full ? "Fit" : "Full size"}
        </button>
        {url && (
          <a href={url} target="_blank" rel="noopener noreferrer">
            Open original
          </a>
        )}
        <button type="button" class="primary" onClick={onClose}>
          Close
        </button>
      </div>
      <div class={`viewer${full ? " full" : ""}`}>
        {!url || failed ? (
          <p class="error">This page cannot be shown{page.reason ? `: ${page.reason}` : "."}</p>
        ) : isPdf(page) ? (
          <object data={url} type="application/pdf" class="pdf" style={{ transform: `scale(${zoom}) rotate(${rotation}deg)` }}>
            <p>
              This browser does not show PDFs inline. <a href={url} target="_blank" rel="noopener noreferrer">Open the PDF</a>.
            </p>
          </object>
        ) : (
          <RotatedImage
            url={url}
            alt={`${label(doc.type)} page ${page.index + 1}`}
            zoom={zoom}
            rotation={rotation}
            full={full}
            onError={() => setFailed(true)}
          />
        )}
      </div>
    </Dialog>
  );
}

const FIT_WIDTH = 680;

/** The image laid out at its shown size, so a rotated or zoomed page scrolls instead of being cut off. */
function RotatedImage({
  url,
  alt,
  zoom,
  rotation,
  full,
  onError,
}: {
  url: string;
  alt: string;
  zoom: number;
  rotation: number;
  full: boolean;
  onError: () => void;
}) {
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const base = natural ? (full ? 1 : Math.min(1, FIT_WIDTH / natural.w)) : 1;
  const w = (natural?.w ?? 0) * base * zoom;
  const h = (natural?.h ?? 0) * base * zoom;
  const sideways = rotation % 180 !== 0;
  return (
    <div
      class="page-frame"
      data-testid="page-frame"
      style={natural ? { width: `${Math.round(sideways ? h : w)}px`, height: `${Math.round(sideways ? w : h)}px` } : undefined}
    >
      <img
        src={url}
        alt={alt}
        data-testid="page-image"
        onLoad={(e) => {
          const img = e.target as HTMLImageElement;
          setNatural({ w: img.naturalWidth, h: img.naturalHeight });
        }}
        onError={onError}
        style={natural ? { width: `${w}px`, height: `${h}px`, transform: `translate(-50%, -50%) rotate(${rotation}deg)` } : { maxWidth: "100%" }}
      />
    </div>
  );
}
