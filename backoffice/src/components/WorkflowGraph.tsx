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

/** Distance from the start along normal transitions; failure handlers (reached only through Catch) apart. */
function layout(states: States, start: string, edges: Edge[]): { main: string[][]; side: string[] } {
  const depth: Record<string, number> = {};
  const walk = (roots: string[], into: Record<string, number>, first: number) => {
    const queue = roots.filter((r) => !(r in into));
    for (const r of queue) into[r] = first;
    while (queue.length) {
      const name = queue.shift()!;
      for (const edge of edges) {
        if (edge.from !== name || edge.kind === "catch" || edge.to in into || edge.to in depth) continue;
        into[edge.to] = into[name] + 1;
        queue.push(edge.to);
      }
    }
  };
  walk([start], depth, 0);
  const sideDepth: Record<string, number> = {};
  const catchTargets = edges.filter((e) => e.kind === "catch" && !(e.to in depth)).map((e) => e.to);
  walk(Array.from(new Set(catchTargets)), sideDepth, 0);
  const rest = Object.keys(states).filter((n) => !(n in depth) && !(n in sideDepth));
  walk(rest, sideDepth, 0);
  const main: string[][] = [];
  for (const [name, d] of Object.entries(depth)) (main[d] ??= []).push(name);
  const side = Object.entries(sideDepth)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name);
  return { main: main.filter(Boolean), side };
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
  const { main: rows, side } = layout(states, definition.StartAt, edges);
  const widest = Math.max(...rows.map((r) => r.length));
  const mainWidth = widest * (W + GX) + GX;
  const width = mainWidth + (side.length ? W + 3 * GX : 0);
  const height = Math.max(rows.length, side.length + 1) * (H + GY) + GY;
  const pos: Record<string, { x: number; y: number }> = {};
  rows.forEach((row, r) => {
    const offset = (mainWidth - row.length * (W + GX) + GX) / 2;
    row.forEach((name, i) => (pos[name] = { x: offset + i * (W + GX), y: GY / 2 + r * (H + GY) }));
  });
  const sideTop = Math.max(1, Math.floor((rows.length - side.length) / 2));
  side.forEach((name, i) => (pos[name] = { x: mainWidth + 2 * GX, y: GY / 2 + (sideTop + i) * (H + GY) }));
  const sideSet = new Set(side);
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
        const toSide = sideSet.has(edge.to) && !sideSet.has(edge.from);
        const down = b.y > a.y;
        let d: string;
        if (toSide) {
          const x1 = a.x + W;
          const y1 = a.y + H / 2;
          const x2 = b.x;
          const y2 = b.y + H / 2;
          d = `M ${x1} ${y1} C ${x1 + 40} ${y1}, ${x2 - 40} ${y2}, ${x2} ${y2}`;
        } else if (down) {
          const x1 = a.x + W / 2;
          const y1 = a.y + H;
          const x2 = b.x + W / 2;
          const y2 = b.y;
          const bend = (y2 - y1) / 2;
          d = `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`;
        } else {
          d = `M ${a.x + W} ${a.y + H / 2} C ${a.x + W + 60} ${a.y + H / 2}, ${b.x + W + 60} ${b.y + H / 2}, ${b.x + W} ${b.y + H / 2}`;
        }
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
