// The sheet download: the same request again to POST /v1/overlays (the pinned word's overlay, or
// the whole attention sheet) shown in a dialog with a link to save the PNG.
import { asApiError, formData, postOverlay } from './api.js';
import { showError } from './messages.js';
import { $, el, state } from './page.js';

/** The button says what it will render: the pinned word's overlay or the sheet. */
export function updateSheetLabel() {
  const t = state.pinned !== null ? state.result?.tokens?.[state.pinned] : null;
  el.sheetLabel.textContent = t ? `Download overlay for “${t.word}”` : 'Download sheet';
}

async function downloadSheet() {
  if (!state.file || !state.sentOptions) return;
  const extra = { format: 'png', style: el.style.value };
  if (state.pinned !== null) extra.word = String(state.pinned);
  el.sheetButton.disabled = true;
  el.sheetStatus.textContent = 'Rendering…';
  try {
    const blob = await postOverlay(formData(state.file, state.sentOptions, extra));
    if (state.sheetUrl) URL.revokeObjectURL(state.sheetUrl);
    state.sheetUrl = URL.createObjectURL(blob);
    const word = state.pinned !== null ? state.result?.tokens?.[state.pinned]?.word : null;
    const base = (state.file.name || 'image').replace(/\.[^.]+$/, '');
    el.sheetImage.src = state.sheetUrl;
    el.sheetDownload.href = state.sheetUrl;
    el.sheetDownload.download = word ? `${base}-attention-${state.pinned}-${word}.png` : `${base}-attention-sheet.png`;
    $('sheet-title').textContent = word ? `Attention for “${word}”` : 'Attention sheet';
    el.sheetStatus.textContent = `${(blob.size / 1024).toFixed(0)} KB PNG`;
    el.dialog.showModal();
  } catch (e) {
    el.sheetStatus.textContent = '';
    showError(asApiError(e));
  } finally {
    el.sheetButton.disabled = false;
  }
}

export function wireSheet() {
  el.sheetButton.addEventListener('click', () => void downloadSheet());
  for (const id of ['sheet-close', 'sheet-close-2']) $(id).addEventListener('click', () => el.dialog.close());
  el.dialog.addEventListener('click', (e) => { if (e.target === el.dialog) el.dialog.close(); });
}
