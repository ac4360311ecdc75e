// The options form: its bounds and defaults from the API's own schema (options.js is generated
// from it), the options it sends, and the controls that depend on each other.
import { OPTIONS } from './options.js';
import { el } from './page.js';

/** Sets the controls' bounds and defaults; what the HTML sets itself wins (the temperature slider's narrower span, nBest's 3). */
export function initOptions() {
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (el.form.querySelectorAll('input[type=number], input[type=range]'))) {
    const s = OPTIONS[input.name];
    if (!input.hasAttribute('min')) input.min = String(s.minimum);
    if (!input.hasAttribute('max')) input.max = String(s.maximum);
    if (!input.hasAttribute('value') && s.default !== undefined) input.value = String(s.default);
  }
  /** @type {HTMLInputElement} */ (el.form.querySelector(`input[name="attention"][value="${OPTIONS.attention.default}"]`)).checked = true;
}

/** The form's options as the API's fields (strings), each clamped into its bounds (and written back). */
export function readOptions() {
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
export function sameOptions(a, b) {
  if (!b) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if (el.seed.value === '') keys.delete('seed');
  return [...keys].every((k) => a[k] === b[k]);
}

/** The sliders' read-outs, and the controls sampling turns on or off. */
export function syncControls() {
  el.beamOut.textContent = el.beam.value;
  el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2);
  el.temperature.disabled = !el.sample.checked;
  el.seed.disabled = !el.sample.checked;
  el.beam.disabled = el.sample.checked;
  el.nBest.max = el.sample.checked ? String(OPTIONS.nBest.maximum) : el.beam.value; // samples: any number; beams: at most k
}
