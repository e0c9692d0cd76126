/** The case's state machine drawn as SVG, with the path the execution took highlighted. */
import type { Step } from "../model";

interface Edge {
  from: string;
  to: string;
  kind: "next" | "choice" | "catch";
}

type States = Record<string, Record<string, any>>;

function edgesOf(states: States): Edge[] {
  const edges: Edge[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (state.Next) edges.push({ from: name, to: state.Next, kind: "next" });
    for (const choice of state.Choices ?? []) if (choice.Next) edges.push({ from: name, to: choice.Next, kind: "choice" });
    if (state.Default) edges.push({ from: name, to: state.Default, kind: "choice" });
    for (const c of state.Catch ?? []) if (c.Next) edges.push({ from: name, to: c.Next, kind: "catch" });
  }
  return edges.filter((e) => e.to in states);
}

/** Rows by distance from the start (normal transitions first, failure handlers after). */
function layout(states: States, start: string, edges: Edge[]): string[][] {
  const depth: Record<string, number> = { [start]: 0 };
  const queue = [start];
  const order = (kind: Edge["kind"]) => (kind === "catch" ? 1 : 0);
  while (queue.length) {
    const name = queue.shift()!;
    for (const edge of edges.filter((e) => e.from === name).sort((a, b) => order(a.kind) - order(b.kind))) {
      if (edge.kind === "catch" || edge.to in depth) continue;
      depth[edge.to] = depth[name] + 1;
      queue.push(edge.to);
    }
  }
  let last = Math.max(0, ...Object.values(depth));
  for (const name of Object.keys(states)) {
    if (!(name in depth)) {
      // Reached only through Catch (failure handling): drawn below the rest.
      const parents = edges.filter((e) => e.to === name && e.from in depth).map((e) => depth[e.from]);
      depth[name] = parents.length && !edges.some((e) => e.to === name && e.kind === "catch") ? Math.max(...parents) + 1 : ++last;
    }
  }
  const rows: string[][] = [];
  for (const [name, d] of Object.entries(depth)) (rows[d] ??= []).push(name);
  return rows.filter(Boolean);
}

const W = 168;
const H = 38;
const GX = 28;
const GY = 46;

export function WorkflowGraph({ definition, path }: { definition: Record<string, any>; path: Step[] }) {
  const states = (definition.States ?? {}) as States;
  const names = Object.keys(states);
  if (!names.length || !definition.StartAt) return <p class="muted">This workflow has no drawable definition.</p>;
  const edges = edgesOf(states);
  const rows = layout(states, definition.StartAt, edges);
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * (W + GX) + GX;
  const height = rows.length * (H + GY) + GY;
  const pos: Record<string, { x: number; y: number }> = {};
  rows.forEach((row, r) => {
    const offset = (width - row.length * (W + GX) + GX) / 2;
    row.forEach((name, i) => (pos[name] = { x: offset + i * (W + GX), y: GY / 2 + r * (H + GY) }));
  });
  const visited = new Set(path.map((s) => s.state));
  const taken = new Set<string>();
  for (let i = 1; i < path.length; i++) taken.add(`${path[i - 1].state}→${path[i].state}`);
  const statusOf: Record<string, string> = {};
  for (const step of path) statusOf[step.state] = step.status;

  return (
    <svg
      class="workflow"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Workflow: ${path.length ? `path taken ${path.map((s) => s.state).join(" → ")}` : "not started"}`}
      style={{ maxWidth: `${width}px` }}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#8a94a6" />
        </marker>
        <marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#1b6ef3" />
        </marker>
      </defs>
      {edges.map((edge, i) => {
        const a = pos[edge.from];
        const b = pos[edge.to];
        const isTaken = taken.has(`${edge.from}→${edge.to}`);
        const down = b.y > a.y;
        const x1 = a.x + W / 2;
        const y1 = down ? a.y + H : a.y;
        const x2 = b.x + W / 2 + (down ? 0 : 12);
        const y2 = down ? b.y : b.y + H;
        const bend = down ? (y2 - y1) / 2 : -60;
        const d = down
          ? `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`
          : `M ${a.x + W} ${a.y + H / 2} C ${a.x + W + 60} ${a.y + H / 2}, ${b.x + W + 60} ${b.y + H / 2}, ${b.x + W} ${b.y + H / 2}`;
        return (
          <path
            key={i}
            d={d}
            class={`edge ${edge.kind}${isTaken ? " taken" : ""}`}
            marker-end={isTaken ? "url(#arrow-taken)" : "url(#arrow)"}
          />
        );
      })}
      {names.map((name) => {
        const p = pos[name];
        const status = statusOf[name];
        const cls = ["node", `type-${String(states[name].Type).toLowerCase()}`, visited.has(name) ? "visited" : "", status ? `status-${status}` : ""]
          .filter(Boolean)
          .join(" ");
        return (
          <g key={name} class={cls} transform={`translate(${p.x} ${p.y})`} data-state={name} data-visited={visited.has(name) ? "true" : "false"}>
            <title>
              {name} ({states[name].Type}){status ? ` — ${status}` : ""}
            </title>
            <rect width={W} height={H} rx={states[name].Type === "Choice" ? 18 : 6} />
            <text x={W / 2} y={H / 2 + 4} text-anchor="middle">
              {name.length > 22 ? `${name.slice(0, 21)}…` : name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
