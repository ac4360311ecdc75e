// Every relative link and image in the README, the guides and the model cards points at a file
// that exists, and every #anchor at a heading of that file (GitHub's heading slugs).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  'models/soft/README.md',
  'models/hard/README.md',
  'deploy/README.md',
];

/** The text outside fenced code blocks and inline code (links there are examples, not links). */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces → hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[`*]/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

function anchors(file: string): Set<string> {
  const md = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...md.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));
}

t.test('the slug rule', async (t) => {
  t.equal(slug('Jobs on Redis'), 'jobs-on-redis');
  t.equal(slug('Confidence and warnings'), 'confidence-and-warnings');
  t.equal(slug('Results (Flickr8k dev, 1,000 images)'), 'results-flickr8k-dev-1000-images');
  t.equal(slug('`/v1/captions` options'), 'v1captions-options');
});

for (const doc of DOCS.filter((d) => existsSync(join(ROOT, d)))) {
  t.test(`${doc}: relative links resolve`, async (t) => {
    const file = join(ROOT, doc);
    const links = [...prose(readFileSync(file, 'utf8')).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
    const local = links.filter((l) => !/^[a-z][a-z+.-]*:/i.test(l));
    for (const link of local) {
      const [path, anchor] = link.split('#');
      const target = path ? join(dirname(file), decodeURI(path)) : file;
      if (!existsSync(target)) {
        t.fail(`${doc}: ${link} → ${relative(ROOT, target)} does not exist`);
        continue;
      }
      if (anchor && target.endsWith('.md')) t.ok(anchors(target).has(anchor), `${doc}: ${link} → #${anchor} is a heading of ${relative(ROOT, target)}`);
      else t.pass(`${doc}: ${link}`);
    }
  });
}
