// Caption normalisation used everywhere (training, vocabulary, evaluation):
// lowercase, punctuation characters deleted (Karpathy's neuraltalk convention,
// so "t-shirt" -> "tshirt", "man 's" -> "man s"), whitespace split.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function tokenize(caption: string): string[] {
  return caption.toLowerCase().replace(PUNCTUATION, '').split(/\s+/).filter((w) => w.length > 0);
}

export function normalize(caption: string): string {
  return tokenize(caption).join(' ');
}
