/** Longest line kept; a server writing one endless line must not grow the buffer without bound. */
const MAX_LINE_CHARS = 2_000;

/**
 * The last `maxLines` lines a stdio server wrote to stderr. Text arrives in arbitrary chunks; a
 * line is complete at its newline, and the unfinished last line is shown as well.
 */
export class StderrTail {
  readonly #lines: string[] = [];
  #partial = '';

  constructor(private readonly maxLines: number) {}

  push(text: string): void {
    const parts = (this.#partial + text).split(/\r?\n/);
    this.#partial = clip(parts.pop() ?? '');
    for (const line of parts) this.#add(clip(line));
  }

  /** Complete lines, then the unfinished one if any; oldest first. */
  lines(): string[] {
    const lines = this.#partial === '' ? [...this.#lines] : [...this.#lines, this.#partial];
    return lines.slice(-this.maxLines);
  }

  /** The last `count` lines, for an error message. */
  last(count: number): string[] {
    return this.lines().slice(-count);
  }

  clear(): void {
    this.#lines.length = 0;
    this.#partial = '';
  }

  #add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.maxLines) this.#lines.splice(0, this.#lines.length - this.maxLines);
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}
