import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sharesScope, type Principal } from '../contract/principal.js';
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

/** A picked target and who asked for the picker: the target is that scope's. */
interface PickedTarget {
  target: Target;
  owner: Principal;
}

/**
 * The directories and files the web app may use: configured roots (re-read whenever the
 * configuration changes), everyone's, plus what the user picked, which belongs to the origin that
 * asked for the picker (the local UI's picks to the UI; the UI may use every target). Every target
 * is kept by its real path.
 */
export class TargetRegistry {
  readonly #picked: PickedTarget[] = [];
  #configured: { roots: readonly ConfiguredRoot[]; targets: Promise<Target[]> } | undefined;

  constructor(private readonly options: TargetRegistryOptions) {}

  /** The targets `viewer` may use: every configured root and the picks of its own scope. */
  async list(viewer: Principal): Promise<Target[]> {
    return [...(await this.configured()), ...this.#picked.filter((picked) => sharesScope(viewer, picked.owner)).map((picked) => picked.target)];
  }

  /**
   * Adds picked paths as targets of `owner`. A path already covered by a target `owner` may use,
   * with at least this access, reuses it, so picking the same folder twice does not grow the list;
   * another origin's pick of the same path is a target of its own.
   */
  async addPicked(realPaths: readonly string[], kind: Target['kind'], access: Access, owner: Principal): Promise<Target[]> {
    const existing = await this.list(owner);
    return realPaths.map((real) => {
      const same = existing.find((target) => target.path === real && target.kind === kind && (target.access === access || target.access === 'read-write'));
      if (same) return same;
      const target: Target = { targetId: this.options.newId(), path: real, kind, access, source: 'picked', addedAt: new Date(this.options.now()).toISOString() };
      this.#picked.push({ target, owner });
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
