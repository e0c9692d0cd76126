/** Small SVG charts: horizontal bars and stacked columns, labelled so the numbers can be read. */
export interface Bar {
  label: string;
  value: number;
  className?: string;
}

export function BarChart({ bars, title }: { bars: Bar[]; title: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 26;
  const labelWidth = 150;
  const width = 520;
  const height = bars.length * rowHeight + 8;
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
      {bars.map((bar, i) => {
        const w = ((width - labelWidth - 50) * bar.value) / max;
        const y = 4 + i * rowHeight;
        return (
          <g key={bar.label} data-bar={bar.label} data-value={bar.value}>
            <text x={labelWidth - 8} y={y + 16} text-anchor="end" class="chart-label">
              {bar.label}
            </text>
            <rect x={labelWidth} y={y + 3} width={Math.max(w, bar.value ? 2 : 0)} height={rowHeight - 8} class={`bar ${bar.className ?? ""}`} rx={3} />
            <text x={labelWidth + w + 6} y={y + 16} class="chart-value">
              {bar.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export interface Column {
  label: string;
  parts: { name: string; value: number; className: string }[];
}

export function ColumnChart({ columns, title }: { columns: Column[]; title: string }) {
  const totals = columns.map((c) => c.parts.reduce((sum, p) => sum + p.value, 0));
  const max = Math.max(1, ...totals);
  const plot = 160;
  const width = Math.max(320, columns.length * 22 + 40);
  const step = (width - 40) / Math.max(columns.length, 1);
  const every = Math.ceil(columns.length / 10);
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${plot + 40}`} role="img" aria-label={title}>
      <line x1={30} y1={plot + 10} x2={width - 5} y2={plot + 10} class="axis" />
      <text x={26} y={18} text-anchor="end" class="chart-value">
        {max}
      </text>
      {columns.map((column, i) => {
        let top = plot + 10;
        const x = 34 + i * step;
        return (
          <g key={column.label} data-day={column.label} data-total={totals[i]}>
            <title>
              {column.label}: {column.parts.map((p) => `${p.value} ${p.name}`).join(", ")}
            </title>
            {column.parts.map((part) => {
              const h = (plot * part.value) / max;
              top -= h;
              return <rect key={part.name} x={x} y={top} width={Math.max(step - 4, 2)} height={h} class={`bar ${part.className}`} />;
            })}
            {i % every === 0 && (
              <text x={x + step / 2} y={plot + 26} text-anchor="middle" class="chart-label">
                {column.label.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
