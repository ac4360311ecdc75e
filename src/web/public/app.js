// Show, Attend and Tell demo page: upload → POST /v1/captions → caption, alternatives, word chips;
// hovering/focusing/clicking a word blends that word's attention map over the image on a canvas,
// with the box of the detected object it names (grounding); the detected objects are listed too.
//
// This module chooses the image and runs the captioning; the other parts, one job each:
//   page.js      the elements, the shared state, number formats
//   api.js       the API client (captions, overlays, models) and its errors
//   models.js    the model info: status, attention toggles, detector
//   form.js      the options form (bounds from options.js, the API's schema)
//   stage.js     the image canvas: preview, a word's attention, boxes (overlay.js, objects.js draw)
//   result.js    the caption, chips, confidence, objects, alternatives, details
//   words.js     hover/focus/click/keys on the chips and the objects list
//   sheet.js     the sheet download dialog
//   messages.js  the banner and the error box
import { asApiError, formData, postCaption } from './api.js';
import { initOptions, readOptions, sameOptions, syncControls } from './form.js';
import { hideError, showError } from './messages.js';
import { loadModels } from './models.js';
import { el, state } from './page.js';
import { renderResult, resetResult } from './result.js';
import { wireSheet } from './sheet.js';
import { drawPreview } from './stage.js';
import { wireWords } from './words.js';

async function chooseFile(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('image/')) {
    showError({ error: 'unsupported_media_type', message: `“${file.name}” is not an image (${file.type}).` });
    return;
  }
  state.file = file;
  state.result = null;
  resetResult();
  hideError();
  await drawPreview(file);
  el.run.disabled = false;
  await caption();
}

/** Captions the chosen image with the form's options; a newer request supersedes (aborts) an older one. */
async function caption() {
  if (!state.file) return;
  state.inflight?.abort();
  const controller = new AbortController();
  state.inflight = controller;
  const generation = ++state.generation;
  const options = readOptions();
  setBusy(true);
  hideError();
  const t0 = performance.now();
  try {
    const result = await postCaption(formData(state.file, options), controller.signal);
    if (generation !== state.generation) return;
    state.result = result;
    state.sentOptions = options;
    renderResult(result, options, performance.now() - t0);
    el.body.dataset.state = 'done';
  } catch (e) {
    if (controller.signal.aborted || generation !== state.generation) return;
    showError(asApiError(e));
    el.body.dataset.state = 'error';
  } finally {
    if (generation === state.generation) {
      setBusy(false);
      state.inflight = null;
    }
  }
}

function setBusy(busy) {
  el.busy.hidden = !busy;
  el.run.disabled = busy || !state.file;
  el.run.textContent = busy ? 'Captioning…' : state.result ? 'Caption again' : 'Caption image';
  el.dropzone.setAttribute('aria-busy', String(busy));
  if (busy) el.body.dataset.state = 'loading';
}

/** An image comes from the file input, a drop on the zone or a paste. */
function wireUpload() {
  el.file.addEventListener('change', () => {
    const f = el.file.files?.[0];
    el.file.value = ''; // choosing the same file again still fires change
    if (f) void chooseFile(f);
  });
  el.dropzone.addEventListener('click', (e) => {
    if (el.dropzone.dataset.state === 'loaded') return;
    if (e.target instanceof Element && e.target.closest('label, input')) return;
    el.file.click();
  });
  for (const type of ['dragenter', 'dragover']) {
    el.dropzone.addEventListener(type, (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      el.dropzone.classList.add('dragging');
    });
  }
  el.dropzone.addEventListener('dragleave', (e) => {
    if (!el.dropzone.contains(/** @type {Node|null} */ (e.relatedTarget))) el.dropzone.classList.remove('dragging');
  });
  el.dropzone.addEventListener('drop', (e) => {
    e.preventDefault();
    el.dropzone.classList.remove('dragging');
    const f = [...(e.dataTransfer?.files ?? [])][0];
    if (f) void chooseFile(f);
  });
  // A file dropped outside the zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  document.addEventListener('paste', (e) => {
    const f = [...(e.clipboardData?.files ?? [])].find((x) => x.type.startsWith('image/'));
    if (f) { e.preventDefault(); void chooseFile(f); }
  });
}

/** Re-caption when the options change (debounced), once an image is loaded; or at once on submit. */
function wireForm() {
  let rerun = 0;
  el.form.addEventListener('input', syncControls);
  el.form.addEventListener('change', () => {
    syncControls();
    if (!state.file || !state.result || sameOptions(readOptions(), state.sentOptions)) return;
    clearTimeout(rerun);
    rerun = setTimeout(() => void caption(), 250);
  });
  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(rerun);
    void caption();
  });
}

initOptions();
wireWords();
wireSheet();
wireUpload();
wireForm();
syncControls();
el.body.dataset.state = 'idle';
void loadModels();
