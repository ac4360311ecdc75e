// A caption result on the page: the caption and its word chips (each a button the stage draws
// the word's attention for), the confidence and warnings, the detected objects, the n-best
// alternatives and the decoding details with the timings.
import { groundingText, objectItems } from './objects.js';
import { el, fmt, ms_, shortId, state } from './page.js';
import { updateSheetLabel } from './sheet.js';
import { drawStandIn, showWord } from './stage.js';

/** Empties every result part (a new image or a new request). */
export function resetResult() {
  state.pinned = null;
  state.shown = null;
  state.maps.clear();
  el.caption.hidden = true;
  el.empty.hidden = true;
  el.words.hidden = true;
  el.words.replaceChildren();
  el.wordDetail.hidden = true;
  el.actions.hidden = true;
  el.altsCard.hidden = true;
  el.detailsCard.hidden = true;
  el.captionLogprob.textContent = '';
  el.confidence.hidden = true;
  el.objectsCard.hidden = true;
  el.objects.replaceChildren();
  el.warnings.hidden = true;
  el.warnings.replaceChildren();
  el.placeholder.hidden = false;
}

export function renderResult(r, options, roundTripMs) {
  resetResult();
  el.placeholder.hidden = true;
  if (!state.previewOk && r.image?.width) drawStandIn(r.image);
  showWord(null);
  const tokens = Array.isArray(r.tokens) ? r.tokens : [];
  el.captionLogprob.textContent = `log p ${fmt(r.logprob)}`;
  renderConfidence(r);
  if (tokens.length === 0 || !r.caption) {
    el.empty.hidden = false;
  } else {
    el.caption.textContent = r.caption;
    el.caption.hidden = false;
    renderChips(tokens);
  }
  el.actions.hidden = false;
  updateSheetLabel();
  renderObjects(r);
  renderAlternatives(r.alternatives ?? [], r.caption);
  renderDetails(r, options, roundTripMs);
}

/** The calibrated confidence as a meter and a word, and the server's warnings as a list. */
function renderConfidence(r) {
  if (typeof r.confidence === 'number') {
    const level = r.confidence < 0.2 ? 'low' : r.confidence < 0.5 ? 'medium' : 'high';
    el.confidenceMeter.value = r.confidence;
    el.confidenceValue.textContent = `${Math.round(r.confidence * 100)}% · ${level}`;
    el.confidence.dataset.level = level;
    el.confidence.title = `calibrated on Flickr8k dev; mean log p ${fmt(r.confidenceInputs?.meanLogprob)}, agreement with the encoder's ImageNet classes ${fmt(r.confidenceInputs?.agreement)}`;
    el.confidence.hidden = false;
  }
  const warnings = Array.isArray(r.warnings) ? r.warnings : [];
  el.warnings.replaceChildren(...warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
  el.warnings.hidden = warnings.length === 0;
}

/** One chip per word (data-index), with its probability as a bar; object words marked. */
function renderChips(tokens) {
  const frag = document.createDocumentFragment();
  tokens.forEach((t, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    b.dataset.index = String(i);
    b.setAttribute('aria-pressed', 'false');
    b.tabIndex = i === 0 ? 0 : -1;
    const p = Math.exp(t.logprob);
    b.title = `p = ${p.toFixed(3)} · log p = ${fmt(t.logprob)} · β = ${fmt(t.beta, 2)}${t.grounding ? ` · ${groundingText(t.grounding)}` : ''}`;
    if (t.grounding) {
      b.classList.add('object');
      b.dataset.grounded = String(Boolean(t.grounding.box));
    }
    b.setAttribute('aria-label', `${t.word}, probability ${(p * 100).toFixed(0)} percent`);
    const w = Object.assign(document.createElement('span'), { className: 'w', textContent: t.word });
    const lp = Object.assign(document.createElement('span'), { className: 'lp', textContent: fmt(t.logprob) });
    const conf = Object.assign(document.createElement('span'), { className: 'conf' });
    const bar = document.createElement('span');
    bar.style.width = `${Math.max(3, Math.min(100, p * 100)).toFixed(0)}%`;
    conf.append(bar);
    b.append(w, lp, conf);
    frag.append(b);
  });
  el.words.replaceChildren(frag);
  el.words.hidden = false;
}

/** The detections as a list; hovering or focusing one draws its box over the plain image (words.js). */
function renderObjects(r) {
  const dets = Array.isArray(r.detections) ? r.detections : null;
  if (!dets) {
    // Not run: say why, when the reason is the server's (no detector), not the user's choice.
    el.objectsCard.hidden = state.detector !== null;
    el.objectsNote.textContent = 'No object detector is loaded on the server: words get no boxes.';
    el.objectsNote.hidden = false;
    el.objectsMeta.textContent = '';
    return;
  }
  el.objectsNote.hidden = dets.length > 0;
  el.objectsNote.textContent = 'The detector found no object above its display threshold.';
  el.objectsMeta.textContent = `${dets.length} found${typeof r.timings?.detectMs === 'number' ? ` · ${ms_(r.timings.detectMs)}` : ''}`;
  el.objects.replaceChildren(...objectItems(dets));
  el.objectsCard.hidden = false;
}

function renderAlternatives(alts, best) {
  if (!alts.length) return;
  el.alts.replaceChildren(...alts.map((a, i) => {
    const li = document.createElement('li');
    if (i === 0 && a.caption === best) li.className = 'best';
    const rank = Object.assign(document.createElement('span'), { className: 'rank', textContent: `#${i + 1}` });
    const text = Object.assign(document.createElement('span'), { className: a.caption ? 'text' : 'text empty', textContent: a.caption || '(empty caption)' });
    const score = Object.assign(document.createElement('span'), { className: 'score', textContent: `log p ${fmt(a.logprob)}` });
    score.title = `score ${fmt(a.score)}`;
    li.append(rank, text, score);
    return li;
  }));
  el.altsCard.hidden = false;
}

/** The decoding, model and image, and where the time went (server stages and the network) as a bar and rows. */
function renderDetails(r, options, roundTripMs) {
  const t = r.timings ?? {};
  const server = (t.preprocessMs ?? 0) + (t.encodeMs ?? 0) + (t.decodeMs ?? 0);
  const net = Math.max(0, roundTripMs - server);
  const parts = [['t-pre', t.preprocessMs, 'preprocess'], ['t-enc', t.encodeMs, 'encode'], ['t-dec', t.decodeMs, 'decode'], ['t-net', net, 'network & overhead']];
  el.timingBar.replaceChildren(...parts.map(([cls, ms, label]) => {
    const s = Object.assign(document.createElement('span'), { className: cls, title: `${label}: ${ms_(ms)}` });
    s.style.flexGrow = String(Math.max(0.001, Number(ms) || 0));
    return s;
  }));
  /** @type {[string, string|Node][]} */
  const rows = [
    ['Backend', String(r.backend ?? '—')],
    ['Model', `${shortId(r.model?.id ?? '—')}${r.model && !r.model.trained ? ' (untrained)' : ''}`],
    ['Decoding', options.sample === 'true' ? `sampling, T = ${options.temperature}, seed ${options.seed}` : Number(options.beamSize) === 1 ? 'greedy' : `beam search, k = ${options.beamSize}`],
    ['Image', r.image ? `${r.image.width}×${r.image.height} ${r.image.format ?? ''}` : '—'],
    ['Grid', r.grid ? `${r.grid.h}×${r.grid.w} regions` : '—'],
    ['Preprocess', timed('t-pre', t.preprocessMs)],
    ['Encode', timed('t-enc', t.encodeMs)],
    ['Decode', timed('t-dec', t.decodeMs)],
    ...(typeof t.detectMs === 'number' ? [['Detect', `${ms_(t.detectMs)} (beside encoding)`]] : []),
    ['Round trip', timed('t-net', roundTripMs)],
  ];
  el.details.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = Object.assign(document.createElement('dt'), { textContent: k });
    const dd = document.createElement('dd');
    dd.append(v);
    return [dt, dd];
  }));
  el.detailsCard.hidden = false;
}

function timed(cls, ms) {
  const f = document.createDocumentFragment();
  f.append(Object.assign(document.createElement('span'), { className: `swatch ${cls}` }), document.createTextNode(ms_(ms)));
  return f;
}
