/**
 * bench/server-cpu.ts's table as a bar chart, hand-written SVG (issue 16): one group per measure
 * (each with its own scale, since the units differ), one bar per server in a fixed colour, the
 * value written on the bar. Lower is better everywhere. A server that does not do a measure (nginx
 * echoes nothing) leaves a labelled gap.
 */

export interface ChartMeasure {
  /** The group's title, with its unit: `CPU µs / full handshake`. */
  title: string;
  /** One value per server, in the order of `servers`; NaN when the server does not do it. */
  values: number[];
  digits: number;
}

const COLOURS = ['#d62728', '#ff9896', '#9467bd', '#8c564b', '#1f77b4', '#2ca02c', '#ff7f0e'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The chart: `title` on top, `note` (the run: when, how much work) under it, `servers` name the
 * bars (the legend), `measures` the groups.
 */
export function serverCpuChart(
  title: string,
  note: string,
  servers: string[],
  measures: ChartMeasure[],
): string {
  const bar = 26;
  const gap = 6;
  const groupWidth = servers.length * (bar + gap) + 40;
  const left = 20;
  const top = 80;
  const plot = 260;
  const legendTop = top + plot + 60;
  const width = Math.max(left * 2 + measures.length * groupWidth, 640);
  const height = legendTop + servers.length * 22 + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(`${title}. ${note}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="28" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${left}" y="46" fill="#555">${escapeXml(note)}</text>`,
    `<text x="${left}" y="62" fill="#555">server cost per unit of work: lower is better; each group has its own scale; - : not measured (nginx echoes nothing)</text>`,
  ];
  measures.forEach((measure, g) => {
    const x0 = left + g * groupWidth;
    const finite = measure.values.filter((v) => Number.isFinite(v));
    const max = Math.max(...finite, 1e-9);
    out.push(
      `<line x1="${x0}" y1="${top + plot}" x2="${x0 + groupWidth - 30}" y2="${top + plot}" stroke="#999"/>`,
      `<text x="${x0 + (groupWidth - 30) / 2}" y="${top + plot + 20}" text-anchor="middle" font-weight="bold">${escapeXml(measure.title)}</text>`,
    );
    measure.values.forEach((value, s) => {
      const x = x0 + 5 + s * (bar + gap);
      if (!Number.isFinite(value)) {
        out.push(
          `<text x="${x + bar / 2}" y="${top + plot - 6}" text-anchor="middle" fill="#aaa" font-size="10">-</text>`,
        );
        return;
      }
      const h = Math.max((value / max) * (plot - 30), 1);
      const y = top + plot - h;
      const label = value.toFixed(measure.digits);
      out.push(
        `<rect x="${x}" y="${y.toFixed(1)}" width="${bar}" height="${h.toFixed(1)}" fill="${COLOURS[s % COLOURS.length]}"><title>${escapeXml(servers[s] ?? '')}: ${label}</title></rect>`,
        `<text x="${x + bar / 2}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${label}</text>`,
      );
    });
  });
  servers.forEach((server, s) => {
    const y = legendTop + s * 22;
    out.push(
      `<rect x="${left}" y="${y - 11}" width="14" height="14" fill="${COLOURS[s % COLOURS.length]}"/>`,
      `<text x="${left + 22}" y="${y}">${escapeXml(server)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
