// The page's elements, its one shared state and the number formats every part uses. Every other
// module reads and writes the page through these, so each element is looked up once.

export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export const el = {
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
export const ctx = /** @type {CanvasRenderingContext2D} */ (el.canvas.getContext('2d', { willReadFrequently: true }));

export const state = {
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

export const fmt = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d).replace('-', '−') : '—');
export const ms_ = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '—');
export const shortId = (id) => String(id).replace(/^show-attend-tell-(soft-|hard-)?/, '');
