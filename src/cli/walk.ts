// Finds the image files behind the PATH arguments of `show-attend-tell caption`.
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';

/** Extensions picked up when walking folders (case-insensitive). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export interface FoundImage {
  /** The path as the user would write it: the argument joined with the path inside it. */
  path: string;
  /** Absolute path. */
  absolute: string;
  /** Path relative to the common ancestor of all arguments, '/'-separated (used for overlay names). */
  relative: string;
}

export interface WalkOptions {
  /** Descend into sub-folders (default true); when false only a folder's own files are taken. */
  recursive?: boolean;
}

/** A PATH argument that does not exist or cannot be read: a usage error. */
export class PathNotFoundError extends Error {
  override name = 'PathNotFoundError';
}

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Code-point order: the same on every machine and locale (unlike localeCompare). */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Expands files and folders into a deterministic list of images. Files named explicitly are
 * always taken (the decoder decides whether they are images); inside folders only image-like
 * extensions are taken and hidden entries (".git", macOS "._x.jpg") are skipped. Folders are
 * listed in code-point order of their relative paths; arguments keep the order given; a file
 * reached twice (repeated argument, overlapping folders, symlinks) is listed once.
 */
export async function findImages(paths: string[], opts: WalkOptions = {}): Promise<FoundImage[]> {
  const recursive = opts.recursive ?? true;
  const roots: { arg: string; absolute: string; isDir: boolean }[] = [];
  for (const arg of paths) {
    const absolute = resolve(arg);
    const st = await stat(absolute).catch((err: NodeJS.ErrnoException) => {
      throw new PathNotFoundError(err.code === 'ENOENT' || err.code === 'ENOTDIR' ? `path not found: ${arg}` : `cannot read ${arg}: ${err.message}`);
    });
    if (!st.isFile() && !st.isDirectory()) throw new PathNotFoundError(`not a file or folder: ${arg}`);
    roots.push({ arg, absolute, isDir: st.isDirectory() });
  }
  const base = commonAncestor(roots.map((r) => (r.isDir ? r.absolute : dirname(r.absolute))));

  const seen = new Set<string>();
  const out: FoundImage[] = [];
  const add = async (path: string, absolute: string) => {
    const real = await realpath(absolute).catch(() => absolute);
    if (seen.has(real)) return;
    seen.add(real);
    out.push({ path, absolute, relative: relative(base, absolute).split(sep).join('/') || basename(absolute) });
  };

  for (const root of roots) {
    if (!root.isDir) {
      await add(root.arg, root.absolute);
      continue;
    }
    const found: string[] = []; // paths relative to the root
    const visited = new Set<string>([await realpath(root.absolute)]); // symlink cycles
    const walk = async (rel: string): Promise<void> => {
      const dir = join(root.absolute, rel);
      const entries = await readdir(dir, { withFileTypes: true }).catch((err: Error) => {
        if (rel === '') throw new PathNotFoundError(`cannot read ${root.arg}: ${err.message}`);
        return []; // an unreadable sub-folder is skipped, not fatal
      });
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const childRel = rel ? join(rel, e.name) : e.name;
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        if (e.isSymbolicLink()) {
          const st = await stat(join(dir, e.name)).catch(() => null); // dangling links are skipped
          isDir = !!st?.isDirectory();
          isFile = !!st?.isFile();
        }
        if (isFile && isImagePath(e.name)) found.push(childRel);
        else if (isDir && recursive) {
          const real = await realpath(join(dir, e.name)).catch(() => null);
          if (real === null || visited.has(real)) continue;
          visited.add(real);
          await walk(childRel);
        }
      }
    };
    await walk('');
    found.sort((a, b) => byCodePoint(a.split(sep).join('/'), b.split(sep).join('/')));
    for (const rel of found) await add(join(root.arg, rel), join(root.absolute, rel));
  }
  return out;
}

/** Deepest folder containing all the given absolute folders. */
export function commonAncestor(dirs: string[]): string {
  if (!dirs.length) return resolve('.');
  let parts = dirs[0].split(sep);
  for (const d of dirs.slice(1)) {
    const p = d.split(sep);
    let i = 0;
    while (i < parts.length && i < p.length && parts[i] === p[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}
