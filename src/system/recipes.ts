import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { recipeSchema, type Recipe, type RecipeStep } from '../contract/routes/system.js';
import catalogueFile from './recipes.json' with { type: 'json' };

type Platform = 'linux' | 'darwin' | 'win32';

/** The catalogue file's shape: tools unique, variant ids unique per tool, steps never shell lines. */
export const catalogueSchema = z
  .strictObject({ $comment: z.string().optional(), recipes: z.array(recipeSchema) })
  .superRefine((catalogue, ctx) => {
    const tools = new Set<string>();
    for (const [index, recipe] of catalogue.recipes.entries()) {
      if (tools.has(recipe.tool)) ctx.addIssue({ code: 'custom', path: ['recipes', index, 'tool'], message: `duplicate tool ${recipe.tool}` });
      tools.add(recipe.tool);
      const variants = recipe.variants.map((variant) => variant.variantId);
      if (new Set(variants).size !== variants.length) ctx.addIssue({ code: 'custom', path: ['recipes', index, 'variants'], message: 'duplicate variantId' });
    }
  });

/** The reviewed install catalogue (`recipes.json`), validated when the module loads. */
export const RECIPES: readonly Recipe[] = catalogueSchema.parse(catalogueFile).recipes;

/**
 * The built-in recipes plus those of an extra catalogue file (`system.recipesFile`), which
 * replace a built-in recipe of the same tool. Throws with the file's problems when it is invalid.
 */
export async function loadCatalogue(extraFile: string | undefined): Promise<Recipe[]> {
  if (!extraFile) return [...RECIPES];
  const parsed = catalogueSchema.safeParse(JSON.parse(await readFile(extraFile, 'utf8')));
  if (!parsed.success) throw new Error(`${extraFile} is not a valid recipe catalogue: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const extra = parsed.data.recipes;
  return [...RECIPES.filter((recipe) => !extra.some((other) => other.tool === recipe.tool)), ...extra];
}

export function findRecipe(tool: string, recipes: readonly Recipe[] = RECIPES): Recipe | undefined {
  return recipes.find((recipe) => recipe.tool === tool);
}

/** How this machine runs a step that needs administrator rights. */
export type Elevation =
  | { kind: 'none'; reason: string }
  | { kind: 'prefix'; command: string }
  | { kind: 'unavailable'; reason: string };

/** What resolution knows about the machine a recipe is resolved for. */
export interface ResolveTarget {
  platform: Platform;
  /** Package managers present; null when unknown (another platform than this machine's). */
  packageManagers: ReadonlySet<string> | null;
  elevation: Elevation;
}

export type ResolvedRecipe =
  | {
      status: 'resolved';
      tool: string;
      variantId: string;
      platform: Platform;
      packageManager: string;
      requiresElevation: boolean;
      elevatedWith: string | null;
      steps: RecipeStep[];
    }
  | { status: 'unsupported'; tool: string; reason: string };

/**
 * The exact steps `recipe` takes on `target`: the requested package manager's variant, or the
 * first variant (catalogue order is preference) whose package manager is present. Elevated steps
 * get the machine's elevation command; a step never becomes a shell line.
 */
export function resolveRecipe(recipe: Recipe, target: ResolveTarget, request: { packageManager?: string; variantId?: string } = {}): ResolvedRecipe {
  const unsupported = (reason: string): ResolvedRecipe => ({ status: 'unsupported', tool: recipe.tool, reason });
  const forPlatform = recipe.variants.filter((variant) => variant.platforms.includes(target.platform));
  if (forPlatform.length === 0) return unsupported(`The catalogue has no way to install ${recipe.tool} on ${target.platform}.`);

  let candidates = forPlatform;
  if (request.variantId !== undefined) {
    candidates = forPlatform.filter((variant) => variant.variantId === request.variantId);
    if (candidates.length === 0) return unsupported(`${recipe.tool} has no variant "${request.variantId}" for ${target.platform} (variants: ${forPlatform.map((v) => v.variantId).join(', ')}).`);
  }
  if (request.packageManager !== undefined) {
    candidates = candidates.filter((variant) => variant.packageManager === request.packageManager);
    if (candidates.length === 0) return unsupported(`${recipe.tool} cannot be installed with ${request.packageManager} on ${target.platform} (it can with ${uniq(forPlatform.map((v) => v.packageManager)).join(', ')}).`);
  }
  const present = target.packageManagers;
  const variant = present ? candidates.find((candidate) => present.has(candidate.packageManager)) : candidates[0];
  if (!variant) {
    const needed = uniq(candidates.map((candidate) => candidate.packageManager));
    return unsupported(`Installing ${recipe.tool} here needs ${needed.length === 1 ? needed[0] : `one of ${needed.join(', ')}`}, and none is installed.`);
  }

  const elevated = variant.steps.some((step) => step.elevate);
  if (elevated && target.elevation.kind === 'unavailable') return unsupported(`Installing ${recipe.tool} with ${variant.packageManager} needs administrator rights: ${target.elevation.reason}.`);
  const prefix = elevated && target.elevation.kind === 'prefix' ? target.elevation.command : null;
  return {
    status: 'resolved',
    tool: recipe.tool,
    variantId: variant.variantId,
    platform: target.platform,
    packageManager: variant.packageManager,
    requiresElevation: variant.requiresElevation,
    elevatedWith: prefix,
    steps: variant.steps.map(({ elevate, ...step }) =>
      elevate && prefix ? { ...step, command: prefix, args: [step.command, ...step.args] } : step,
    ),
  };
}

/**
 * How administrator steps run on a machine: nothing to add for root (or on Windows, where the
 * installers ask through UAC themselves); `pkexec` on a Linux desktop, whose agent asks for the
 * password in a window (a bridge has no terminal for `sudo` to ask in); otherwise `sudo`.
 */
export function elevationFor(machine: { platform: Platform; isRoot: boolean; hasDisplay: boolean; has: (executable: string) => boolean }): Elevation {
  if (machine.platform === 'win32') return { kind: 'none', reason: 'Windows installers ask for consent through UAC' };
  if (machine.isRoot) return { kind: 'none', reason: 'the bridge runs as root' };
  if (machine.platform === 'linux' && machine.hasDisplay && machine.has('pkexec')) return { kind: 'prefix', command: 'pkexec' };
  if (machine.has('sudo')) return { kind: 'prefix', command: 'sudo' };
  return { kind: 'unavailable', reason: 'neither sudo nor pkexec was found on the PATH' };
}

/** Elevation assumed when resolving for another platform than this machine's: a normal user's. */
export function assumedElevation(platform: Platform): Elevation {
  return platform === 'win32' ? { kind: 'none', reason: 'Windows installers ask for consent through UAC' } : { kind: 'prefix', command: 'sudo' };
}

const uniq = (values: string[]) => [...new Set(values)];
