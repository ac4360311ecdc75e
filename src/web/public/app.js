// Show, Attend and Tell demo page: upload → POST /v1/captions → caption, alternatives, word chips;
// hovering/focusing/clicking a word blends that word's attention map over the image on a canvas,
// with the box of the detected object it names (grounding); the detected objects are listed too.
import { OPTIONS } from './options.js';
import { drawDetectionBox, groundingText, objectItems } from './objects.js';
import { attentionMap, blend, cellBox, fitSize } from './overlay.js';

const API = { captions: '/v1/captions', overlays: '/v1/overlays', models: '/v1/models' };
const MAX_CANVAS_SIDE = 1024;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const el = {
  body: document.body,
  status: $('status-model'), backend: $('status-backend'), banner: $('banner'),
  dropzone: $('dropzone'), file: /** @type {HTMLInputElement} */ ($('file')), dropEmpty: $('drop-empty'),
  stage: $('stage'), canvas: /** @type {HTMLCanvasElement} */ ($('canvas')), busy: $('stage-busy'),
  toolbar: $('stage-toolbar'), stageInfo: $('stage-info'), style: /** @type {HTMLSelectElement} */ ($('overlay-style')), legend: $('legend'),
  error: $('error'), placeholder: $('placeholder'), caption: $('caption'), captionLogprob: $('caption-logprob'),
  empty: $('empty-caption'), words: $('words'), wordDetail: $('word-detail'),
  confidence: $('confidence'), confidenceMeter: /** @type {HTMLMeterElement} */ ($('confidence-meter')), confidenceValue: $('confidence-value'), warnings: $('warnings'),
  actions: $('actions'), sheetButton: /** @type {HTMLButtonElement} */ ($('sheet-button')), sheetLabel: $('sheet-label'), sheetStatus: $('sheet-status'),
  form: /** @type {HTMLFormElement} */ ($('options')), run: /** @type {HTMLButtonElement} */ ($('run')),
  hardLabel: $('hard-label'), hardNote: $('hard-note'),
  beam: /** @type {HTMLInputElement} */ ($('beamSize')), beamOut: $('beamSize-out'),
  nBest: /** @type {HTMLInputElement} */ ($('nBest')), maxLength: /** @type {HTMLInputElement} */ ($('maxLength')),
  sample: /** @type {HTMLInputElement} */ ($('sample')), temperature: /** @type {HTMLInputElement} */ ($('temperature')),
  temperatureOut: $('temperature-out'), seed: /** @type {HTMLInputElement} */ ($('seed')),
  grounding: /** @type {HTMLInputElement} */ ($('grounding')), groundingNote: $('grounding-note'),
  objectsCard: $('objects-card'), objects: $('objects'), objectsMeta: $('objects-meta'), objectsNote: $('objects-note'),
  altsCard: $('alts-card'), alts: $('alts'), detailsCard: $('details-card'), details: $('details'), timingBar: $('timing-bar'),
  dialog: /** @type {HTMLDialogElement} */ ($('sheet-dialog')), sheetImage: /** @type {HTMLImageElement} */ ($('sheet-image')),
  sheetDownload: /** @type {HTMLAnchorElement} */ ($('sheet-download')),
};
const ctx = /** @type {CanvasRenderingContext2D} */ (el.canvas.getContext('2d', { willReadFrequently: true }));

const state = {
  /** @type {File|null} */ file: null,
  /** @type {ImageData|null} */ base: null, // the image at canvas size, without overlay
  /** @type {ImageData|null} */ scratch: null,
  previewOk: false,
  /** @type {any} */ result: null,
  /** @type {Record<string,string>|null} */ sentOptions: null, // what produced `result` (reused for the sheet)
  /** @type {Map<number, Float32Array>} */ maps: new Map(),
  /** @type {number|null} */ pinned: null,
  /** @type {number|null} */ shown: null,
  /** @type {AbortController|null} */ inflight: null,
  sheetUrl: '',
  generation: 0,
  /** @type {any} */ detector: undefined, // /v1/models → detector (null: none loaded)
};

// ---------- API helpers ----------

/** Turns a failed fetch Response into a readable {error, message}. */
async function apiError(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (body && typeof body === 'object' && (body.message || body.error)) {
    return { error: String(body.error ?? `http_${res.status}`), message: String(body.message ?? body.error), status: res.status };
  }
  return { error: `http_${res.status}`, message: `The server answered ${res.status} ${res.statusText || ''}`.trim(), status: res.status };
}

function networkError(err) {
  return { error: 'network_error', message: `Could not reach the server (${err instanceof Error ? err.message : String(err)}).` };
}

// ---------- model info ----------

async function loadModels() {
  let info;
  try {
    const res = await fetch(API.models, { headers: { accept: 'application/json' } });
    if (!res.ok) throw await apiError(res);
    info = await res.json();
  } catch (e) {
    const err = e && e.message && e.error ? e : networkError(e);
    el.status.textContent = 'Model info unavailable';
    el.status.className = 'pill error';
    showBanner([`Could not load model info: ${err.message}`], 'error');
    return;
  }
  const decoders = Array.isArray(info.decoders) ? info.decoders : [];
  const have = new Set(decoders.map((d) => d.attention));
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (el.form.querySelectorAll('input[name="attention"]'))) {
    input.disabled = !have.has(input.value);
    input.parentElement?.setAttribute('title', input.disabled ? `No ${input.value}-attention decoder is loaded` : '');
  }
  el.hardNote.hidden = have.has('hard');
  const preferred = have.has(info.default) ? info.default : decoders[0]?.attention;
  if (preferred) /** @type {HTMLInputElement} */ (el.form.querySelector(`input[name="attention"][value="${preferred}"]`)).checked = true;

  const def = decoders.find((d) => d.attention === preferred);
  const untrained = decoders.length > 0 && decoders.every((d) => !d.trained);
  el.status.replaceChildren(dot(), document.createTextNode(def ? `${def.attention} attention · ${shortId(def.id)}${def.trained ? '' : ' · untrained'}` : 'no decoder'));
  el.status.className = untrained ? 'pill warn' : 'pill';
  el.status.title = decoders.map((d) => `${d.id}${d.trained ? '' : ' (untrained)'}`).join('\n');
  if (info.backend) {
    el.backend.hidden = false;
    el.backend.textContent = `backend: ${info.backend}`;
  }
  const warnings = Array.isArray(info.warnings) ? info.warnings.map(String) : [];
  if (warnings.length) showBanner(warnings, 'warn');
  state.detector = info.detector ?? null;
  // Without a detector the search's rules read the encoder's ImageNet classes only, and no word has a box.
  el.groundingNote.textContent = state.detector
    ? `${state.detector.id} finds the objects; each word that names one points to its box (scores ≥ ${state.detector.displayThreshold}).`
    : 'No object detector is loaded: the rules use the encoder\'s ImageNet classes only, and words get no boxes.';
}

const dot = () => Object.assign(document.createElement('span'), { className: 'dot' });
const shortId = (id) => String(id).replace(/^show-attend-tell-(soft-|hard-)?/, '');

function showBanner(lines, kind) {
  el.banner.className = kind === 'error' ? 'banner error' : 'banner';
  const title = document.createElement('strong');
  title.textContent = kind === 'error' ? 'Error: ' : 'Warning: ';
  if (lines.length === 1) {
    el.banner.replaceChildren(title, document.createTextNode(lines[0]));
  } else {
    const ul = document.createElement('ul');
    for (const l of lines) ul.append(Object.assign(document.createElement('li'), { textContent: l }));
    el.banner.replaceChildren(title, ul);
  }
  el.banner.hidden = false;
}

// ---------- choosing an image ----------

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

async function drawPreview(file) {
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
  state.base = ctx.getImageData(0, 0, el.canvas.width, el.canvas.height);
  state.scratch = ctx.createImageData(el.canvas.width, el.canvas.height);
  state.maps.clear();
  el.canvas.setAttribute('aria-label', `Uploaded image ${file.name}`);
  el.canvas.dataset.word = '';
  el.dropzone.dataset.state = 'loaded';
  el.dropEmpty.hidden = true;
  el.stage.hidden = false;
  el.toolbar.hidden = false;
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

// ---------- options ----------

// Bounds and defaults come from the API's own option schema (options.js is generated from it);
// what the HTML sets itself wins: the temperature slider's narrower span, nBest's 3.
for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (el.form.querySelectorAll('input[type=number], input[type=range]'))) {
  const s = OPTIONS[input.name];
  if (!input.hasAttribute('min')) input.min = String(s.minimum);
  if (!input.hasAttribute('max')) input.max = String(s.maximum);
  if (!input.hasAttribute('value') && s.default !== undefined) input.value = String(s.default);
}
/** @type {HTMLInputElement} */ (el.form.querySelector(`input[name="attention"][value="${OPTIONS.attention.default}"]`)).checked = true;

function readOptions() {
  const intIn = (input, dflt = OPTIONS[input.name].default) => {
    const { minimum: lo, maximum: hi } = OPTIONS[input.name];
    const v = Math.round(Number(input.value));
    const out = Number.isFinite(v) && input.value !== '' ? Math.min(hi, Math.max(lo, v)) : dflt;
    input.value = String(out);
    return out;
  };
  const attention = /** @type {HTMLInputElement|null} */ (el.form.querySelector('input[name="attention"]:checked'))?.value ?? OPTIONS.attention.default;
  const sample = el.sample.checked;
  /** @type {Record<string,string>} */
  const beam = intIn(el.beam);
  // The API refuses options that do not apply: no beamSize with sampling, nBest ≤ beamSize.
  const o = {
    attention,
    nBest: String(sample ? intIn(el.nBest, 1) : Math.min(beam, intIn(el.nBest, 3))),
    maxLength: String(intIn(el.maxLength)),
    sample: String(sample),
    includeMaps: 'true',
  };
  if (!el.grounding.checked) o.grounding = 'false'; // on by default
  if (!sample) o.beamSize = String(beam);
  if (sample) {
    o.temperature = String(Number(el.temperature.value) || OPTIONS.temperature.default);
    // Fix a seed so the sheet (a second request) reproduces exactly this sample.
    const seed = el.seed.value === '' ? Math.floor(Math.random() * 2 ** 31) : intIn(el.seed, 0);
    o.seed = String(seed);
  }
  return o;
}

/** Same request as last time? (A random seed does not count as a change.) */
function sameOptions(a, b) {
  if (!b) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if (el.seed.value === '') keys.delete('seed');
  return [...keys].every((k) => a[k] === b[k]);
}

function formData(options, extra = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries({ ...options, ...extra })) fd.append(k, v);
  if (state.file) fd.append('image', state.file, state.file.name || 'image');
  return fd;
}

function syncControls() {
  el.beamOut.textContent = el.beam.value;
  el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2);
  el.temperature.disabled = !el.sample.checked;
  el.seed.disabled = !el.sample.checked;
  el.beam.disabled = el.sample.checked;
  el.nBest.max = el.sample.checked ? String(OPTIONS.nBest.maximum) : el.beam.value; // samples: any number; beams: at most k
}

// ---------- captioning ----------

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
    const res = await fetch(API.captions, { method: 'POST', body: formData(options), signal: controller.signal, headers: { accept: 'application/json' } });
    if (!res.ok) throw await apiError(res);
    const body = await res.json();
    const result = body?.results?.[0];
    if (!result) throw { error: 'bad_response', message: 'The server returned no result for the image.' };
    if (generation !== state.generation) return;
    state.result = result;
    state.sentOptions = options;
    renderResult(result, options, performance.now() - t0);
    el.body.dataset.state = 'done';
  } catch (e) {
    if (controller.signal.aborted || generation !== state.generation) return;
    showError(e && e.message && e.error ? e : networkError(e));
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

function resetResult() {
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

function renderResult(r, options, roundTripMs) {
  resetResult();
  el.placeholder.hidden = true;
  if (!state.previewOk && r.image?.width) {
    // No browser preview: draw attention over a neutral canvas of the image's shape.
    setCanvasSize(r.image.width, r.image.height);
    paintPlaceholder(`${r.image.format ?? 'image'} ${r.image.width}×${r.image.height}`);
    state.base = ctx.getImageData(0, 0, el.canvas.width, el.canvas.height);
    state.scratch = ctx.createImageData(el.canvas.width, el.canvas.height);
  }
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

/** The detections as a list; hovering or focusing one draws its box over the plain image. */
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

const fmt = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d).replace('-', '−') : '—');
const ms_ = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '—');

// ---------- attention overlay ----------

/** Draws the image with word i's attention blended over it (null = plain image). */
function showWord(i) {
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
  if (Array.isArray(token.attention) && token.attention.length) {
    let map = state.maps.get(i);
    if (!map) {
      map = attentionMap(token.attention, width, height);
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
  el.canvas.setAttribute('aria-label', `Image with the attention for “${token.word}”`);
  el.wordDetail.textContent = describeToken(token, grid);
  el.wordDetail.hidden = false;
}

/** Draws a detection's box on the canvas and records it in canvas data-box (see objects.js). */
function drawBox(d, label) {
  const b = drawDetectionBox(ctx, state.result?.image, d, label);
  if (b) el.canvas.dataset.box = `${b.x0},${b.y0},${b.x1},${b.y1}`;
}

/** Detection i's box over the plain image (hover/focus in the objects list). */
function showDetection(i) {
  const d = state.result?.detections?.[i];
  if (!d || !state.base) return;
  ctx.putImageData(state.base, 0, 0);
  drawBox(d, `${d.category} ${d.score.toFixed(2)}`);
  for (const b of el.objects.querySelectorAll('button')) b.classList.toggle('active', Number(/** @type {HTMLElement} */ (b).dataset.detection) === i);
  el.canvas.dataset.word = '';
  el.canvas.dataset.detection = String(i);
}

function describeToken(t, grid) {
  const parts = [`“${t.word}”: p = ${Math.exp(t.logprob).toFixed(3)}`, `β = ${fmt(t.beta, 2)}`];
  if (t.grounding) parts.push(groundingText(t.grounding));
  if (t.region) parts.push(`attended region row ${t.region.row + 1}, col ${t.region.col + 1}`);
  else if (Array.isArray(t.attention) && grid) {
    let best = -1, r0 = 0, c0 = 0;
    t.attention.forEach((row, r) => row.forEach((v, c) => { if (v > best) { best = v; r0 = r; c0 = c; } }));
    parts.push(`peak α = ${best.toFixed(3)} at row ${r0 + 1}, col ${c0 + 1} of ${grid.h}×${grid.w}`);
  } else parts.push('no attention map returned');
  return parts.join(' · ');
}

function pin(i) {
  state.pinned = state.pinned === i ? null : i;
  for (const chip of el.words.querySelectorAll('.chip')) chip.setAttribute('aria-pressed', String(Number(/** @type {HTMLElement} */ (chip).dataset.index) === state.pinned));
  showWord(state.pinned ?? i);
  updateSheetLabel();
}

function updateSheetLabel() {
  const t = state.pinned !== null ? state.result?.tokens?.[state.pinned] : null;
  el.sheetLabel.textContent = t ? `Download overlay for “${t.word}”` : 'Download sheet';
}

const chipOf = (target) => /** @type {HTMLElement|null} */ (target instanceof Element ? target.closest('.chip') : null);

el.words.addEventListener('pointerover', (e) => { const c = chipOf(e.target); if (c) showWord(Number(c.dataset.index)); });
el.words.addEventListener('pointerleave', () => showWord(state.pinned));
el.words.addEventListener('focusin', (e) => { const c = chipOf(e.target); if (c) showWord(Number(c.dataset.index)); });
el.words.addEventListener('focusout', (e) => { if (!el.words.contains(/** @type {Node|null} */ (e.relatedTarget))) showWord(state.pinned); });
el.words.addEventListener('click', (e) => { const c = chipOf(e.target); if (c) pin(Number(c.dataset.index)); });
el.words.addEventListener('keydown', (e) => {
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
});
const detectionOf = (target) => /** @type {HTMLElement|null} */ (target instanceof Element ? target.closest('button[data-detection]') : null);
el.objects.addEventListener('pointerover', (e) => { const b = detectionOf(e.target); if (b) showDetection(Number(b.dataset.detection)); });
el.objects.addEventListener('focusin', (e) => { const b = detectionOf(e.target); if (b) showDetection(Number(b.dataset.detection)); });
for (const type of ['pointerleave', 'focusout']) el.objects.addEventListener(type, () => { delete el.canvas.dataset.detection; showWord(state.pinned); });

el.style.addEventListener('change', () => {
  el.legend.classList.toggle('spotlight', el.style.value === 'spotlight');
  showWord(state.shown);
});

// ---------- sheet download ----------

el.sheetButton.addEventListener('click', async () => {
  if (!state.file || !state.sentOptions) return;
  const extra = { format: 'png', style: el.style.value };
  if (state.pinned !== null) extra.word = String(state.pinned);
  el.sheetButton.disabled = true;
  el.sheetStatus.textContent = 'Rendering…';
  try {
    const res = await fetch(API.overlays, { method: 'POST', body: formData(state.sentOptions, extra) });
    if (!res.ok) throw await apiError(res);
    const blob = await res.blob();
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
    const err = e && e.message && e.error ? e : networkError(e);
    el.sheetStatus.textContent = '';
    showError(err);
  } finally {
    el.sheetButton.disabled = false;
  }
});
for (const id of ['sheet-close', 'sheet-close-2']) $(id).addEventListener('click', () => el.dialog.close());
el.dialog.addEventListener('click', (e) => { if (e.target === el.dialog) el.dialog.close(); });

// ---------- errors ----------

function showError(err) {
  const msg = Object.assign(document.createElement('span'), { textContent: err.message || 'Something went wrong.' });
  const code = Object.assign(document.createElement('span'), { className: 'code', textContent: `${err.error}${err.status ? ` · HTTP ${err.status}` : ''}` });
  el.error.replaceChildren(msg, code);
  el.error.hidden = false;
  el.placeholder.hidden = true;
}
function hideError() {
  el.error.hidden = true;
  el.error.replaceChildren();
}

// ---------- wiring ----------

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

let rerun = 0;
el.form.addEventListener('input', syncControls);
el.form.addEventListener('change', () => {
  syncControls();
  // Re-caption when the options change (debounced), once an image is loaded.
  if (!state.file || !state.result || sameOptions(readOptions(), state.sentOptions)) return;
  clearTimeout(rerun);
  rerun = setTimeout(() => void caption(), 250);
});
el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(rerun);
  void caption();
});

syncControls();
el.body.dataset.state = 'idle';
void loadModels();
