/** Runs `fn` with process.stdout captured (not printed); returns its result and what it wrote. */
export async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stdout.write;
  try {
    return { result: await fn(), stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}
