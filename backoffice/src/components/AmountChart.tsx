/** The customer's transaction amounts over time, as SVG: one mark per transaction (inbound above the axis's
 * colour, outbound in another), the alert's transactions marked in red and larger, with their hover titles. */
import type { TransactionRow } from "../alerts";
import { when } from "../format";

const WIDTH = 1000;
const HEIGHT = 240;
const LEFT = 72;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 34;

export function AmountChart({ transactions, alerting }: { transactions: TransactionRow[]; alerting: Set<string> }) {
  if (transactions.length === 0) return <p class="muted">No transactions in this period.</p>;
  const points = transactions.map((t) => ({ row: t, at: new Date(t.time).getTime(), amount: Number(t.amount) }));
  const first = Math.min(...points.map((p) => p.at));
  const last = Math.max(...points.map((p) => p.at));
  const span = Math.max(last - first, 60_000);
  const top = Math.max(1, ...points.map((p) => p.amount));
  const x = (at: number) => LEFT + ((WIDTH - LEFT - RIGHT) * (at - first)) / span;
  const y = (amount: number) => TOP + (HEIGHT - TOP - BOTTOM) * (1 - amount / top);
  const currencies = [...new Set(transactions.map((t) => t.currency))].join(", ");
  const ordered = [...points].sort((a, b) => Number(alerting.has(a.row.id)) - Number(alerting.has(b.row.id)));
  return (
    <figure class="amount-chart">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Amounts of ${transactions.length} transactions over time; the alert's transactions in red`}
        data-testid="amount-chart"
      >
        <line x1={LEFT} y1={HEIGHT - BOTTOM} x2={WIDTH - RIGHT} y2={HEIGHT - BOTTOM} class="axis" />
        <line x1={LEFT} y1={TOP} x2={LEFT} y2={HEIGHT - BOTTOM} class="axis" />
        <text x={LEFT - 6} y={TOP + 8} text-anchor="end" class="chart-value">
          {top.toLocaleString()}
        </text>
        <text x={LEFT - 6} y={HEIGHT - BOTTOM} text-anchor="end" class="chart-value">
          0
        </text>
        <text x={LEFT} y={HEIGHT - 12} class="chart-label">
          {when(new Date(first).toISOString())}
        </text>
        <text x={WIDTH - RIGHT} y={HEIGHT - 12} text-anchor="end" class="chart-label">
          {when(new Date(last).toISOString())}
        </text>
        {ordered.map(({ row, at, amount }) => {
          const marked = alerting.has(row.id);
          return (
            <g key={row.id} data-transaction-id={row.id} data-alerting={marked ? "true" : "false"}>
              <title>
                {when(row.time)}: {row.direction} {String(row.amount)} {row.currency}
                {row.counterparty?.name ? ` · ${row.counterparty.name}` : ""}
                {marked ? " · on this alert" : ""}
              </title>
              <line x1={x(at)} y1={HEIGHT - BOTTOM} x2={x(at)} y2={y(amount)} class={`stem ${row.direction}`} />
              <circle cx={x(at)} cy={y(amount)} r={marked ? 6 : 3.5} class={`dot ${row.direction}${marked ? " alerting" : ""}`} />
            </g>
          );
        })}
      </svg>
      <figcaption class="muted small">
        Amount ({currencies}) over time · <span class="key inbound">●</span> inbound <span class="key outbound">●</span> outbound{" "}
        <span class="key alerting">●</span> on this alert
      </figcaption>
    </figure>
  );
}
