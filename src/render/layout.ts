// Pure geometry of the contact sheet, so its size is predictable and testable.

export interface SheetLayout {
  panels: number;
  columns: number;
  rows: number;
  panelSize: number;
  gap: number;
  labelHeight: number;
  titleHeight: number;
  width: number;
  height: number;
}

/**
 * Sheet geometry for `panels` panels (caption panel + one per word), P = panelSize clamped to 16..1024:
 *   columns = requested (clamped to 1..panels) or ceil(sqrt(panels))
 *   rows    = ceil(panels / columns)
 *   gap     = max(4, round(P / 28))         (8 px at P = 224)
 *   label   = max(14, round(P / 8))         (28 px at P = 224) — text band under each panel
 *   title   = title ? label : 0
 *   width   = columns·P + (columns + 1)·gap
 *   height  = title + rows·(P + label) + (rows + 1)·gap
 */
export function sheetLayout(panels: number, panelSize: number, opts: { columns?: number; title?: boolean } = {}): SheetLayout {
  const n = Math.max(1, Math.floor(panels));
  const P = Math.min(1024, Math.max(16, Math.round(panelSize) || 224)); // sane pixel limits
  const requested = opts.columns !== undefined && Number.isFinite(opts.columns) ? Math.round(opts.columns) : 0;
  const columns = requested >= 1 ? Math.min(requested, n) : Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const gap = Math.max(4, Math.round(P / 28));
  const labelHeight = Math.max(14, Math.round(P / 8));
  const titleHeight = opts.title ? labelHeight : 0;
  return {
    panels: n, columns, rows, panelSize: P, gap, labelHeight, titleHeight,
    width: columns * P + (columns + 1) * gap,
    height: titleHeight + rows * (P + labelHeight) + (rows + 1) * gap,
  };
}

/** Top-left corner of panel i (row-major); its label band starts at y + panelSize. */
export function panelOrigin(layout: SheetLayout, i: number) {
  const col = i % layout.columns;
  const row = Math.floor(i / layout.columns);
  return {
    x: layout.gap + col * (layout.panelSize + layout.gap),
    y: layout.titleHeight + layout.gap + row * (layout.panelSize + layout.labelHeight + layout.gap),
  };
}
