// Pointing at the result: hovering or focusing a word chip shows its attention, clicking pins it
// (arrow keys, Home/End move along the caption, Escape unpins); hovering a detected object shows
// its box; the overlay style select redraws.
import { el, state } from './page.js';
import { updateSheetLabel } from './sheet.js';
import { showDetection, showWord } from './stage.js';

function pin(i) {
  state.pinned = state.pinned === i ? null : i;
  for (const chip of el.words.querySelectorAll('.chip')) chip.setAttribute('aria-pressed', String(Number(/** @type {HTMLElement} */ (chip).dataset.index) === state.pinned));
  showWord(state.pinned ?? i);
  updateSheetLabel();
}

const chipOf = (target) => /** @type {HTMLElement|null} */ (target instanceof Element ? target.closest('.chip') : null);
const detectionOf = (target) => /** @type {HTMLElement|null} */ (target instanceof Element ? target.closest('button[data-detection]') : null);

/** The chips' roving focus: one chip in the tab order, the arrow keys move it. */
function onChipKey(e) {
  const chips = /** @type {HTMLElement[]} */ ([...el.words.querySelectorAll('.chip')]);
  const cur = chips.indexOf(/** @type {HTMLElement} */ (document.activeElement));
  let next = -1;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = Math.min(chips.length - 1, cur + 1);
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = Math.max(0, cur - 1);
  else if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = chips.length - 1;
  else if (e.key === 'Escape' && state.pinned !== null) { pin(state.pinned); showWord(cur >= 0 ? cur : null); e.preventDefault(); return; }
  if (next < 0) return;
  e.preventDefault();
  chips.forEach((c, j) => { c.tabIndex = j === next ? 0 : -1; });
  chips[next].focus();
}

export function wireWords() {
  el.words.addEventListener('pointerover', (e) => { const c = chipOf(e.target); if (c) showWord(Number(c.dataset.index)); });
  el.words.addEventListener('pointerleave', () => showWord(state.pinned));
  el.words.addEventListener('focusin', (e) => { const c = chipOf(e.target); if (c) showWord(Number(c.dataset.index)); });
  el.words.addEventListener('focusout', (e) => { if (!el.words.contains(/** @type {Node|null} */ (e.relatedTarget))) showWord(state.pinned); });
  el.words.addEventListener('click', (e) => { const c = chipOf(e.target); if (c) pin(Number(c.dataset.index)); });
  el.words.addEventListener('keydown', onChipKey);

  el.objects.addEventListener('pointerover', (e) => { const b = detectionOf(e.target); if (b) showDetection(Number(b.dataset.detection)); });
  el.objects.addEventListener('focusin', (e) => { const b = detectionOf(e.target); if (b) showDetection(Number(b.dataset.detection)); });
  for (const type of ['pointerleave', 'focusout']) el.objects.addEventListener(type, () => { delete el.canvas.dataset.detection; showWord(state.pinned); });

  el.style.addEventListener('change', () => {
    el.legend.classList.toggle('spotlight', el.style.value === 'spotlight');
    showWord(state.shown);
  });
}
