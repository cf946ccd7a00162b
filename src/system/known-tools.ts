import type { Recipe } from '../contract/routes/system.js';
import { RECIPES } from './recipes.js';

/** A tool `GET /system/tools` reports on: its name, and the executable that shows it is installed. */
export interface KnownTool {
  name: string;
  binary: string;
  hasRecipe: boolean;
}

/** Common tools agents ask for that the install catalogue does not cover. */
const EXTRA_TOOLS = ['curl', 'wget', 'make', 'ssh', 'tar', 'unzip', 'npx', 'java', 'rustc', 'deno'];

/** The catalogue's tools, then the extras, each once. */
export function knownTools(recipes: readonly Recipe[] = RECIPES): KnownTool[] {
  const fromRecipes = recipes.map((recipe) => ({ name: recipe.tool, binary: recipe.binary, hasRecipe: true }));
  const taken = new Set(fromRecipes.flatMap((tool) => [tool.name, tool.binary]));
  return [...fromRecipes, ...EXTRA_TOOLS.filter((name) => !taken.has(name)).map((name) => ({ name, binary: name, hasRecipe: false }))];
}
