// The image stage: the uploaded image on a canvas, and over it a word's attention map (with the
// attended cell for hard attention and the box of the object it names) or a detection's box.
import { drawDetectionBox, groundingText } from './objects.js';
import { attentionMap, blend, cellBox, fitSize } from './overlay.js';
import { ctx, el, fmt, state } from './page.js';

const MAX_CANVAS_SIDE = 1024;

/** Draws the chosen file on the canvas (a placeholder when the browser cannot decode it). */
export async function drawPreview(file) {
  state.previewOk = false;
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    bitmap = null; // e.g. TIFF in most browsers: the server can still caption it
  }
  if (bitmap) {
    setCanvasSize(bitmap.width, bitmap.height);
    ctx.drawImage(bitmap, 0, 0, el.canvas.width, el.canvas.height);
    el.stageInfo.textContent = `${file.name} · ${bitmap.width}×${bitmap.height}`;
    bitmap.close();
    state.previewOk = true;
  } else {
    setCanvasSize(640, 480);
    paintPlaceholder('Preview not available in this browser');
    el.stageInfo.textContent = file.name;
  }
  keepBase();
  state.maps.clear();
  el.canvas.setAttribute('aria-label', `Uploaded image ${file.name}`);
  el.canvas.dataset.word = '';
  el.dropzone.dataset.state = 'loaded';
  el.dropEmpty.hidden = true;
  el.stage.hidden = false;
  el.toolbar.hidden = false;
}

/** No browser preview: a neutral canvas of the image's shape (from the server's answer) to draw attention over. */
export function drawStandIn(image) {
  setCanvasSize(image.width, image.height);
  paintPlaceholder(`${image.format ?? 'image'} ${image.width}×${image.height}`);
  keepBase();
}

/** The canvas as drawn now is the plain image every overlay starts from. */
function keepBase() {
  state.base = ctx.getImageData(0, 0, el.canvas.width, el.canvas.height);
  state.scratch = ctx.createImageData(el.canvas.width, el.canvas.height);
}

function setCanvasSize(w, h) {
  const s = fitSize(w, h, MAX_CANVAS_SIDE);
  el.canvas.width = s.width;
  el.canvas.height = s.height;
}

function paintPlaceholder(text) {
  ctx.fillStyle = '#2a2f38';
  ctx.fillRect(0, 0, el.canvas.width, el.canvas.height);
  ctx.fillStyle = '#9aa3b2';
  ctx.font = '600 20px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(text, el.canvas.width / 2, el.canvas.height / 2);
}

/** Draws the image with word i's map blended over it: an object word's focus map, other words' attention (null = plain image). */
export function showWord(i) {
  if (!state.base || !state.scratch) return;
  const tokens = state.result?.tokens ?? [];
  const token = i === null ? null : tokens[i];
  state.shown = token ? i : null;
  for (const chip of el.words.querySelectorAll('.chip')) chip.classList.toggle('active', Number(/** @type {HTMLElement} */ (chip).dataset.index) === state.shown);
  for (const b of el.objects.querySelectorAll('button')) b.classList.remove('active');
  delete el.canvas.dataset.detection;
  if (!token) {
    ctx.putImageData(state.base, 0, 0);
    delete el.canvas.dataset.box;
    el.canvas.dataset.word = '';
    el.wordDetail.hidden = true;
    return;
  }
  const { width, height } = el.canvas;
  const shown = shownMap(token);
  if (shown) {
    let map = state.maps.get(i);
    if (!map) {
      map = attentionMap(shown, width, height);
      state.maps.set(i, map);
    }
    blend(state.base.data, map, { style: /** @type {'heatmap'|'spotlight'} */ (el.style.value) }, state.scratch.data);
    ctx.putImageData(state.scratch, 0, 0);
  } else {
    ctx.putImageData(state.base, 0, 0);
  }
  const grid = state.result.grid;
  if (token.grounding?.box) drawBox(token.grounding, `${token.grounding.category} ${token.grounding.score.toFixed(2)}`);
  else delete el.canvas.dataset.box;
  if (token.region && grid) {
    const b = cellBox(token.region.row, token.region.col, grid, width, height);
    ctx.lineWidth = Math.max(2, Math.round(Math.min(width, height) / 150));
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(b.x0 + ctx.lineWidth / 2, b.y0 + ctx.lineWidth / 2, b.x1 - b.x0 - ctx.lineWidth, b.y1 - b.y0 - ctx.lineWidth);
  }
  el.canvas.dataset.word = String(i);
  el.canvas.setAttribute('aria-label', `Image with the ${token.focus ? 'focus' : 'attention'} for “${token.word}”`);
  el.wordDetail.textContent = describeToken(token, grid);
  el.wordDetail.hidden = false;
}

/** Draws a detection's box on the canvas and records it in canvas data-box (see objects.js). */
function drawBox(d, label) {
  const b = drawDetectionBox(ctx, state.result?.image, d, label);
  if (b) el.canvas.dataset.box = `${b.x0},${b.y0},${b.x1},${b.y1}`;
}

/** Detection i's box over the plain image (hover/focus in the objects list). */
export function showDetection(i) {
  const d = state.result?.detections?.[i];
  if (!d || !state.base) return;
  ctx.putImageData(state.base, 0, 0);
  drawBox(d, `${d.category} ${d.score.toFixed(2)}`);
  for (const b of el.objects.querySelectorAll('button')) b.classList.toggle('active', Number(/** @type {HTMLElement} */ (b).dataset.detection) === i);
  el.canvas.dataset.word = '';
  el.canvas.dataset.detection = String(i);
}

/** The map drawn for a token: its focus map (object words: where the word's evidence is), else its attention α. */
function shownMap(t) {
  if (Array.isArray(t.focus) && t.focus.length) return t.focus;
  return Array.isArray(t.attention) && t.attention.length ? t.attention : null;
}

/** The word detail line under the image: probability, β, grounding and where it looked. */
function describeToken(t, grid) {
  const parts = [`“${t.word}”: p = ${Math.exp(t.logprob).toFixed(3)}`, `β = ${fmt(t.beta, 2)}`];
  if (t.grounding) parts.push(groundingText(t.grounding));
  const map = shownMap(t);
  if (t.region) parts.push(`attended region row ${t.region.row + 1}, col ${t.region.col + 1}`);
  else if (map && grid) {
    let best = -1, r0 = 0, c0 = 0;
    map.forEach((row, r) => row.forEach((v, c) => { if (v > best) { best = v; r0 = r; c0 = c; } }));
    const what = t.focus ? 'focus (where the word\'s evidence is)' : 'α';
    parts.push(`peak ${what} = ${best.toFixed(3)} at row ${r0 + 1}, col ${c0 + 1} of ${map.length}×${map[0].length}`); // focus maps can be finer than α's grid
  } else parts.push('no attention map returned');
  return parts.join(' · ');
}
