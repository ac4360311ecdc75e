// The model info (GET /v1/models) on the page: the status pill, which attention toggles work,
// the backend, the server's warnings and whether an object detector grounds the words.
import { asApiError, fetchModels } from './api.js';
import { showBanner } from './messages.js';
import { el, shortId, state } from './page.js';

export async function loadModels() {
  let info;
  try {
    info = await fetchModels();
  } catch (e) {
    el.status.textContent = 'Model info unavailable';
    el.status.className = 'pill error';
    showBanner([`Could not load model info: ${asApiError(e).message}`], 'error');
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
