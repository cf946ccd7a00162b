import { z } from 'zod';
import { DEFAULT_COMMAND_TIMEOUT_MS, SMALL_BODY_LIMIT_BYTES } from '../constants.js';
import { defineRoute } from '../route.js';
import { queryBoolean } from './common.js';
import { jobAcceptedSchema, jobContextSchema, requestIdSchema } from './jobs.js';

/** Platforms install recipes are written for (Node's `process.platform` names). */
export const platformSchema = z.enum(['linux', 'darwin', 'win32']);

export const packageManagerSchema = z.object({
  name: z.string().describe('e.g. brew, apt, dnf, pacman, winget, choco, scoop, npm, pnpm, yarn, pip, pipx, cargo, go'),
  version: z.string().nullable().describe('Null when the version could not be read within the detection timeout.'),
  path: z.string(),
});

/** The platform names the web app maps system info to. */
export const appPlatformSchema = z.enum(['macos', 'windows', 'linux']);
export type AppPlatform = z.infer<typeof appPlatformSchema>;

export const systemInfoSchema = z.object({
  platform: appPlatformSchema.describe('The web app\'s platform name: darwin is `macos`, win32 is `windows`, and every other (Unix-like) platform is `linux`.'),
  os: z.string().describe('`process.platform`, e.g. linux, darwin, win32.'),
  osVersion: z.string().describe('Distribution or product name and version, e.g. "Debian 12", "macOS 15.1".'),
  arch: z.string().describe('`process.arch`, e.g. x64, arm64.'),
  shell: z.string().nullable().describe('The user\'s login shell, whose PATH commands are resolved on.'),
  home: z.string(),
  nodeVersion: z.string(),
  packageManagers: z.array(packageManagerSchema).describe('Only those found.'),
  pathSource: z
    .enum(['login-shell', 'process'])
    .describe('Where the PATH tools are looked up on came from: the user\'s login shell, or the bridge\'s own PATH when the shell could not be read.'),
  detectedAt: z.iso.datetime().describe('When detection ran; replies are cached until `refresh=true`.'),
});
export type SystemInfo = z.infer<typeof systemInfoSchema>;

export const systemInfo = defineRoute({
  id: 'system.info',
  method: 'GET',
  path: '/api/v1/system/info',
  auth: 'session_or_ui',
  summary: 'OS, shell, and package manager info',
  query: z.strictObject({ refresh: queryBoolean.default(false).describe('Detect again instead of using the cache.') }),
  reply: systemInfoSchema,
});

/** A tool name: no paths, no shell syntax. */
export const toolNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be a plain tool name such as "git" or "ripgrep"');

export const toolStatusSchema = z.object({
  name: z.string(),
  installed: z.boolean().describe('Found on the login-shell PATH.'),
  path: z.string().nullable(),
  version: z
    .string()
    .nullable()
    .describe('The first `x.y[.z]` number `--version` (or the tool\'s equivalent) prints, else its first line; null when it printed nothing within the probe timeout.'),
});
export type ToolStatus = z.infer<typeof toolStatusSchema>;

export const knownToolSchema = toolStatusSchema.extend({ hasRecipe: z.boolean().describe('The install catalogue has a recipe for it.') });

export const toolsList = defineRoute({
  id: 'system.tools.list',
  method: 'GET',
  path: '/api/v1/system/tools',
  auth: 'session_or_ui',
  summary: 'List known/installed tools',
  query: z.strictObject({ refresh: queryBoolean.default(false) }),
  reply: z.object({ tools: z.array(knownToolSchema), detectedAt: z.iso.datetime() }),
});

/** One located tool, in the web app's shape. */
export const locatedToolSchema = z.object({
  id: z.string().describe('The name asked for: a catalogue tool id (`claude-code`, located by its executable `claude`) or any plain executable name.'),
  status: z.enum(['installed', 'missing']).describe('`installed` when found on the login-shell PATH.'),
  version: z.string().nullable().describe('As in the inventory; null when the tool printed no version within the probe timeout, or is missing.'),
  path: z.string().nullable().describe('The executable found; null when missing.'),
});
export type LocatedTool = z.infer<typeof locatedToolSchema>;

export const toolsLocate = defineRoute({
  id: 'system.tools.locate',
  method: 'POST',
  path: '/api/v1/system/tools/locate',
  auth: 'session_or_ui',
  summary: 'Locate tools by name',
  body: z.strictObject({ names: z.array(toolNameSchema).min(1).max(50).describe('Catalogue tool ids or executable names.') }),
  reply: z.object({ tools: z.array(locatedToolSchema).describe('One per requested name, in request order.') }),
  bodyLimit: SMALL_BODY_LIMIT_BYTES,
});

/** Longest an install request is held for the user's answer (as long as an execute). */
export const INSTALL_HOLD_MAX_MS = 10 * 60_000;
const INSTALL_REPLY_MARGIN_MS = 30_000;

/** One step of an install: always an argument array, never a shell line. */
export const recipeStepSchema = z.object({
  command: z.string(),
  args: z.array(z.string()),
  description: z.string().optional(),
  elevate: z
    .boolean()
    .optional()
    .describe('Catalogue steps only: needs administrator rights. Resolving prefixes it with this machine\'s elevation command (sudo, pkexec) or none when already root.'),
});
export type RecipeStep = z.infer<typeof recipeStepSchema>;

export const recipeVariantSchema = z.object({
  variantId: z.string().describe('Stable within the tool, e.g. "apt", "brew", "winget".'),
  platforms: z.array(platformSchema),
  packageManager: z.string(),
  requiresElevation: z.boolean().describe('A step runs through sudo/UAC; the OS may ask the user for a password.'),
  steps: z.array(recipeStepSchema).min(1),
});

export const recipeSchema = z.object({
  tool: z.string(),
  binary: z.string().describe('The executable whose presence on the login-shell PATH means the tool is installed (ripgrep: `rg`).'),
  title: z.string(),
  description: z.string(),
  homepage: z.string().optional(),
  variants: z.array(recipeVariantSchema),
});
export type Recipe = z.infer<typeof recipeSchema>;

export const recipesList = defineRoute({
  id: 'system.tools.recipes.list',
  method: 'GET',
  path: '/api/v1/system/tools/recipes',
  auth: 'session_or_ui',
  summary: 'List install recipes',
  reply: z.object({ recipes: z.array(recipeSchema) }),
});

export const resolvedRecipeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('resolved'),
    tool: z.string(),
    variantId: z.string(),
    platform: platformSchema,
    packageManager: z.string(),
    requiresElevation: z.boolean(),
    elevatedWith: z.string().nullable().describe('The elevation command put before `elevate` steps (sudo, pkexec); null when none is needed.'),
    steps: z.array(recipeStepSchema).min(1).describe('Exactly what an install would run on this machine, in order.'),
  }),
  z.object({
    status: z.literal('unsupported'),
    tool: z.string(),
    reason: z.string().describe('e.g. no variant for this platform, or the package manager is missing.'),
  }),
]);

export const recipesResolve = defineRoute({
  id: 'system.tools.recipes.resolve',
  method: 'POST',
  path: '/api/v1/system/tools/recipes/resolve',
  auth: 'session_or_ui',
  summary: 'Resolve recipe for platform',
  bodyLimit: SMALL_BODY_LIMIT_BYTES,
  body: z
    .strictObject({
      toolId: toolNameSchema.optional().describe('A tool of the catalogue, named as installs name it (`toolId`); 404 otherwise.'),
      tool: toolNameSchema.optional().describe('The same, under its older name; give one of `toolId` and `tool`.'),
      platform: platformSchema.optional().describe('Defaults to this machine\'s.'),
      packageManager: z.string().min(1).max(64).optional().describe('Prefer this package manager; defaults to the first one present.'),
    })
    // One name for the tool: two that could differ would leave which one was resolved to chance.
    .refine((body) => (body.toolId === undefined) !== (body.tool === undefined), { message: 'Give exactly one of toolId and tool.', path: ['toolId'] }),
  reply: resolvedRecipeSchema,
});

/** The body of an install: the web app's fields (`toolId`, `reason`, `requestId`, `context`) plus ours. */
export const installBodySchema = z.strictObject({
  toolId: toolNameSchema.describe('The catalogue id, e.g. `claude-code` (see recipes); 404 otherwise.'),
  reason: z.string().min(1).max(2000).optional().describe('Why the agent wants the tool; shown in the prompt.'),
  requestId: requestIdSchema.optional(),
  context: jobContextSchema.optional(),
  timeoutMs: z.number().int().positive().default(DEFAULT_COMMAND_TIMEOUT_MS).describe('For the whole install, every step together. No maximum.'),
  variantId: z.string().min(1).max(64).optional().describe('Extension: the recipe variant to use (see recipes); resolved for this machine when omitted.'),
  packageManager: z.string().min(1).max(64).optional().describe('Extension: prefer this package manager.'),
});

export const installAcceptedSchema = jobAcceptedSchema
  .extend({
    toolId: z.string(),
    variantId: z.string(),
    packageManager: z.string(),
    steps: z.array(recipeStepSchema).min(1).describe('Every step the one approval covers, exactly as each runs, in order.'),
  })
  .describe(
    'The install job (`runId` is its install id). Held until the user answers its one prompt unless `Prefer: respond-async` (or the held-request cap); then its steps run as command runs of kind `install` with no further prompt. Follow it with `bridge.job.*` and `system.tool.install_*` events.',
  );
export type InstallAccepted = z.infer<typeof installAcceptedSchema>;

export const toolsInstall = defineRoute({
  id: 'system.tools.install',
  method: 'POST',
  path: '/api/v1/system/tools/install',
  auth: 'session_or_ui',
  summary: 'Install a tool (always requires approval)',
  refusals: 'accepted',
  preferAsync: true,
  body: installBodySchema,
  reply: installAcceptedSchema,
  successStatus: 202,
  bodyLimit: SMALL_BODY_LIMIT_BYTES,
  replyTimeoutMs: () => INSTALL_HOLD_MAX_MS + INSTALL_REPLY_MARGIN_MS,
});
