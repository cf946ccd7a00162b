import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Target } from '../contract/routes/filesystem.js';

export type Access = Target['access'];
export interface ConfiguredRoot {
  path: string;
  access: Access;
}

export interface TargetRegistryOptions {
  /** The configured roots; a new array (a configuration change) is resolved again. */
  roots: () => readonly ConfiguredRoot[];
  now: () => number;
  newId: () => string;
  /** Told about a root that does not exist or is not absolute: it is left out, not fatal. */
  onSkippedRoot?: (root: ConfiguredRoot, reason: string) => void;
}

/**
 * The directories and files the web app may use: configured roots (re-read whenever the
 * configuration changes) plus what the user picked. Every target is kept by its real path.
 */
export class TargetRegistry {
  readonly #picked: Target[] = [];
  #configured: { roots: readonly ConfiguredRoot[]; targets: Promise<Target[]> } | undefined;

  constructor(private readonly options: TargetRegistryOptions) {}

  async list(): Promise<Target[]> {
    return [...(await this.configured()), ...this.#picked];
  }

  /**
   * Adds picked paths as targets. A path already covered by a target with at least this access
   * reuses it, so picking the same folder twice does not grow the list.
   */
  async addPicked(realPaths: readonly string[], kind: Target['kind'], access: Access): Promise<Target[]> {
    const existing = await this.list();
    return realPaths.map((real) => {
      const same = existing.find((target) => target.path === real && target.kind === kind && (target.access === access || target.access === 'read-write'));
      if (same) return same;
      const target: Target = { targetId: this.options.newId(), path: real, kind, access, source: 'picked', addedAt: new Date(this.options.now()).toISOString() };
      this.#picked.push(target);
      existing.push(target);
      return target;
    });
  }

  private configured(): Promise<Target[]> {
    const roots = this.options.roots();
    if (this.#configured?.roots !== roots) this.#configured = { roots, targets: this.resolveRoots(roots) };
    return this.#configured.targets;
  }

  private async resolveRoots(roots: readonly ConfiguredRoot[]): Promise<Target[]> {
    const addedAt = new Date(this.options.now()).toISOString();
    const resolved = await Promise.all(
      roots.map(async (root): Promise<Target | null> => {
        const expanded = root.path === '~' || root.path.startsWith('~/') ? path.join(os.homedir(), root.path.slice(1)) : root.path;
        if (!path.isAbsolute(expanded)) {
          this.options.onSkippedRoot?.(root, 'not an absolute path');
          return null;
        }
        try {
          const real = await realpath(expanded);
          const info = await stat(real);
          return { targetId: configuredId(real, root.access), path: real, kind: info.isDirectory() ? 'directory' : 'file', access: root.access, source: 'configured', addedAt };
        } catch (error) {
          this.options.onSkippedRoot?.(root, (error as NodeJS.ErrnoException).code ?? String(error));
          return null;
        }
      }),
    );
    return resolved.filter((target): target is Target => target !== null);
  }
}

/** Configured targets keep their id across restarts: it is derived from path and access. */
function configuredId(real: string, access: Access): string {
  return `cfg_${createHash('sha256').update(`${access}\0${real}`).digest('hex').slice(0, 24)}`;
}
