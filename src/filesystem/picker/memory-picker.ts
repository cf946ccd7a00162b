import type { NativePicker, PickerAnswer, PickerRequest } from './native-picker.js';

interface OpenDialog {
  resolve: (answer: PickerAnswer) => void;
  reject: (error: unknown) => void;
}

/**
 * The in-memory twin of a native dialog: each `pick` waits until the test answers it (or the
 * signal aborts, as when the picker times out or the UI answered first).
 */
export class MemoryPicker implements NativePicker {
  readonly name = 'memory-picker';
  readonly requests: PickerRequest[] = [];
  readonly #pending: OpenDialog[] = [];
  /** Picks that were aborted before an answer. */
  aborted = 0;

  pick(request: PickerRequest, signal: AbortSignal): Promise<PickerAnswer> {
    this.requests.push(request);
    return new Promise((resolve, reject) => {
      const entry: OpenDialog = { resolve, reject };
      this.#pending.push(entry);
      signal.addEventListener('abort', () => {
        this.aborted++;
        this.#remove(entry);
        reject(signal.reason);
      });
    });
  }

  /** Answers the oldest open dialog. */
  answer(answer: PickerAnswer): void {
    this.#take().resolve(answer);
  }

  /** Makes the oldest open dialog fail, as a crashed zenity would. */
  fail(error: Error): void {
    this.#take().reject(error);
  }

  get open(): number {
    return this.#pending.length;
  }

  #take() {
    const entry = this.#pending.shift();
    if (!entry) throw new Error('no dialog is open');
    return entry;
  }

  #remove(entry: OpenDialog) {
    const index = this.#pending.indexOf(entry);
    if (index >= 0) this.#pending.splice(index, 1);
  }
}
