/**
 * Draws the results as one SVG of horizontal bar panels, by hand (no chart
 * library): throughput, fan-out, echo p99 and RSS per idle connection.
 *
 * @module
 */

import type { ContenderResult } from "./report.ts";

interface Panel {
  title: string;
  unit: string;
  value: (r: ContenderResult) => number | undefined;
}

const PANELS: Panel[] = [
  {
    title: "Throughput: 50 clients pipelining (higher is better)",
    unit: "msg/s",
    value: (r) => r.throughput?.msgsPerSec,
  },
  {
    title: "Room fan-out: one sender, deliveries (higher is better)",
    unit: "msg/s",
    value: (r) => r.fanout?.deliveriesPerSec,
  },
  { title: "Echo round trip p99 (lower is better)", unit: "µs", value: (r) => r.echo?.p99Us },
  {
    title: "Server RSS per idle connection (lower is better)",
    unit: "KiB",
    value: (r) => r.idle?.rssPerConnKiB,
  },
  {
    title: "Bytes on the wire per position update, client to server (lower is better)",
    unit: "B",
    value: (r) => r.bytes?.message.up,
  },
];

const COLORS: Record<string, string> = {
  gs: "#2f7ed8",
  gsVariant: "#9cc3ee",
  raw: "#8a8a8a",
  ws: "#f0a030",
  bun: "#c0a080",
  sio: "#d9534f",
};

function colorOf(id: string): string {
  if (id.endsWith("-noresume")) return COLORS.gsVariant!;
  if (id.startsWith("gs-")) return COLORS.gs!;
  if (id.startsWith("raw-")) return COLORS.raw!;
  if (id.startsWith("sio")) return COLORS.sio!;
  if (id.startsWith("bun-")) return COLORS.bun!;
  return COLORS.ws!;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) =>
  v >= 100
    ? Math.round(v).toLocaleString("en-US")
    : v.toLocaleString("en-US", { maximumFractionDigits: 1 });

const LEGEND: [string, string][] = [
  ["game-socket", COLORS.gs!],
  ["raw sockets", COLORS.raw!],
  ["ws", COLORS.ws!],
  ["Bun WebSocket pub/sub", COLORS.bun!],
  ["socket.io", COLORS.sio!],
];

function legend(): string[] {
  let x = 10;
  return LEGEND.flatMap(([name, color]) => {
    const out = [
      `<rect x="${x}" y="52" width="12" height="12" fill="${color}"/>`,
      `<text x="${x + 16}" y="62" class="s">${escape(name)}</text>`,
    ];
    x += 30 + name.length * 7;
    return out;
  });
}

/**
 * Render the chart.
 *
 * @param results Medians per contender.
 * @param subtitle A line under the title (machine, runs).
 * @returns SVG text.
 */
export function renderChart(results: ContenderResult[], subtitle: string): string {
  const width = 960;
  const labelW = 250;
  const barMax = width - labelW - 110;
  const rowH = 18;
  const out: string[] = [];
  let y = 84;
  for (const panel of PANELS) {
    const rows = results.map((r) => ({ r, v: panel.value(r) })).filter((x) => x.v !== undefined);
    if (rows.length === 0) continue;
    const max = Math.max(...rows.map((x) => x.v!));
    out.push(`<text x="10" y="${y}" class="h">${escape(panel.title)}</text>`);
    y += 10;
    for (const { r, v } of rows) {
      const w = Math.max(1, (v! / max) * barMax);
      out.push(
        `<text x="${labelW - 6}" y="${y + 13}" class="l">${escape(r.label)}</text>`,
        `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${
          colorOf(r.id)
        }"/>`,
        `<text x="${labelW + w + 5}" y="${y + 13}" class="v">${fmt(v!)} ${panel.unit}</text>`,
      );
      y += rowH;
    }
    y += 26;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">`,
    `<style>.t{font-size:18px;font-weight:bold}.s{font-size:12px;fill:#555}.h{font-size:14px;font-weight:bold}.l{font-size:12px;text-anchor:end}.v{font-size:11px;fill:#333}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="24" class="t">game-socket vs socket.io, ws and raw sockets</text>`,
    `<text x="10" y="42" class="s">${escape(subtitle)}</text>`,
    ...legend(),
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}
