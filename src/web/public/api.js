// The page's API client: the three routes it calls, and every failure turned into one readable
// {error, message, status?} (from the API's JSON error body, or a network error). No DOM here.

const API = { captions: '/v1/captions', overlays: '/v1/overlays', models: '/v1/models' };

/** Turns a failed fetch Response into a readable {error, message}. */
async function apiError(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (body && typeof body === 'object' && (body.message || body.error)) {
    return { error: String(body.error ?? `http_${res.status}`), message: String(body.message ?? body.error), status: res.status };
  }
  return { error: `http_${res.status}`, message: `The server answered ${res.status} ${res.statusText || ''}`.trim(), status: res.status };
}

/** Whatever a request threw as {error, message}: an API error as it is, anything else as a network error. */
export function asApiError(e) {
  if (e && e.message && e.error) return e;
  return { error: 'network_error', message: `Could not reach the server (${e instanceof Error ? e.message : String(e)}).` };
}

/** The upload as multipart form data: the options (and `extra`) as fields, then the image. */
export function formData(file, options, extra = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries({ ...options, ...extra })) fd.append(k, v);
  if (file) fd.append('image', file, file.name || 'image');
  return fd;
}

/** GET /v1/models: the encoder, decoders, detector and warnings. */
export async function fetchModels() {
  const res = await fetch(API.models, { headers: { accept: 'application/json' } });
  if (!res.ok) throw await apiError(res);
  return res.json();
}

/** POST /v1/captions with one image: its CaptionResult. */
export async function postCaption(body, signal) {
  const res = await fetch(API.captions, { method: 'POST', body, signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw await apiError(res);
  const result = (await res.json())?.results?.[0];
  if (!result) throw { error: 'bad_response', message: 'The server returned no result for the image.' };
  return result;
}

/** POST /v1/overlays: the sheet or one word's overlay as an image blob. */
export async function postOverlay(body) {
  const res = await fetch(API.overlays, { method: 'POST', body });
  if (!res.ok) throw await apiError(res);
  return res.blob();
}
