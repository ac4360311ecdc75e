// What the page says outside the results: the banner (model warnings, model info unavailable)
// and the error box under the image (a failed request, with its code and HTTP status).
import { el } from './page.js';

export function showBanner(lines, kind) {
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

export function showError(err) {
  const msg = Object.assign(document.createElement('span'), { textContent: err.message || 'Something went wrong.' });
  const code = Object.assign(document.createElement('span'), { className: 'code', textContent: `${err.error}${err.status ? ` · HTTP ${err.status}` : ''}` });
  el.error.replaceChildren(msg, code);
  el.error.hidden = false;
  el.placeholder.hidden = true;
}

export function hideError() {
  el.error.hidden = true;
  el.error.replaceChildren();
}
