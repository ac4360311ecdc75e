/** Training curve as a self-contained SVG: smoothed training loss per step, dev BLEU-4 per epoch. */
export interface CurvePoint { x: number; y: number }

export function curveSvg(loss: CurvePoint[], bleu: CurvePoint[], title: string): string {
  const W = 720, H = 360, pad = 50;
  const xmax = Math.max(1, ...loss.map((p) => p.x), ...bleu.map((p) => p.x));
  const lmax = Math.max(1e-9, ...loss.map((p) => p.y));
  const lmin = Math.min(lmax, ...loss.map((p) => p.y));
  const bmax = Math.max(1e-9, ...bleu.map((p) => p.y)) * 1.1;
  const sx = (x: number) => pad + (x / xmax) * (W - 2 * pad);
  const sl = (y: number) => H - pad - ((y - lmin) / Math.max(lmax - lmin, 1e-9)) * (H - 2 * pad);
  const sb = (y: number) => H - pad - (y / bmax) * (H - 2 * pad);
  const path = (pts: CurvePoint[], sy: (y: number) => number) => pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>
<line x1="${W - pad}" y1="${pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">epochs</text>
${Array.from({ length: Math.floor(xmax) + 1 }, (_, e) => `<line x1="${sx(e).toFixed(1)}" y1="${H - pad}" x2="${sx(e).toFixed(1)}" y2="${H - pad + 5}" stroke="black"/><text x="${sx(e).toFixed(1)}" y="${H - pad + 18}" text-anchor="middle">${e}</text>`).join('')}
${bleu.map((p) => `<text x="${sx(p.x).toFixed(1)}" y="${(sb(p.y) - 8).toFixed(1)}" text-anchor="middle" fill="#d62728" font-size="10">${p.y.toFixed(1)}</text>`).join('')}
<text x="10" y="${pad - 10}" fill="#1f77b4">loss ${lmin.toFixed(2)}–${lmax.toFixed(2)}</text>
<text x="${W - pad}" y="${pad - 10}" text-anchor="end" fill="#d62728">dev BLEU-4 (max ${(bmax / 1.1).toFixed(2)})</text>
<path d="${path(loss, sl)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<path d="${path(bleu, sb)}" fill="none" stroke="#d62728" stroke-width="2"/>
${bleu.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sb(p.y).toFixed(1)}" r="3" fill="#d62728"/>`).join('')}
</svg>
`;
}
