import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../src/contract/routes/system.js';
import { catalogueSchema, elevationFor, findRecipe, RECIPES, resolveRecipe, type Elevation, type ResolveTarget } from '../../src/system/recipes.js';

const jq = findRecipe('jq')!;
const sudo: Elevation = { kind: 'prefix', command: 'sudo' };
const linux = (managers: string[], elevation: Elevation = sudo): ResolveTarget => ({ platform: 'linux', packageManagers: new Set(managers), elevation });

describe('the recipe catalogue', () => {
  it('has the tools the issue names', () => {
    expect(RECIPES.map((recipe) => recipe.tool)).toEqual(expect.arrayContaining(['git', 'node', 'python', 'uv', 'docker', 'gh', 'ripgrep', 'jq', 'ffmpeg', 'claude-code', 'codex', 'gemini', 'pnpm', 'yarn']));
  });

  it('runs every step as an argument array, never through a shell', () => {
    const shells = new Set(['sh', 'bash', 'zsh', 'cmd', 'cmd.exe', 'powershell', 'pwsh']);
    for (const recipe of RECIPES) {
      for (const variant of recipe.variants) {
        for (const step of variant.steps) {
          expect(step.command, `${recipe.tool}/${variant.variantId}`).not.toMatch(/[\s|;&$`<>]/);
          expect(shells.has(step.command), `${recipe.tool}/${variant.variantId} runs ${step.command}`).toBe(false);
          expect(step.args.some((arg) => arg.includes('|') || arg.includes('&&'))).toBe(false);
        }
        expect(variant.requiresElevation || !variant.steps.some((step) => step.elevate)).toBe(true);
      }
    }
  });

  it('refuses a catalogue with a duplicate tool or variant', () => {
    const duplicated = { recipes: [RECIPES[0], RECIPES[0]] };
    expect(catalogueSchema.safeParse(duplicated).success).toBe(false);
    const variant = RECIPES[0]!.variants[0]!;
    expect(catalogueSchema.safeParse({ recipes: [{ ...RECIPES[0], variants: [variant, variant] }] }).success).toBe(false);
  });
});

describe('resolveRecipe', () => {
  it('picks the first variant whose package manager is present, with sudo before elevated steps', () => {
    expect(resolveRecipe(jq, linux(['npm', 'dnf', 'apt']))).toEqual({
      status: 'resolved',
      tool: 'jq',
      variantId: 'apt',
      platform: 'linux',
      packageManager: 'apt',
      requiresElevation: true,
      elevatedWith: 'sudo',
      steps: [
        { command: 'sudo', args: ['apt-get', 'update'], description: 'Refresh the package lists' },
        { command: 'sudo', args: ['apt-get', 'install', '-y', 'jq'], description: 'Install the jq package' },
      ],
    });
  });

  it('adds nothing when no elevation is needed (root)', () => {
    const resolved = resolveRecipe(jq, linux(['apt'], { kind: 'none', reason: 'root' }));
    expect(resolved).toMatchObject({ status: 'resolved', elevatedWith: null, steps: [{ command: 'apt-get' }, { command: 'apt-get' }] });
  });

  it('honours the requested package manager', () => {
    expect(resolveRecipe(jq, linux(['apt', 'brew']), { packageManager: 'brew' })).toMatchObject({
      variantId: 'brew',
      requiresElevation: false,
      steps: [{ command: 'brew', args: ['install', 'jq'] }],
    });
  });

  it.each<[string, ResolveTarget, { packageManager?: string; variantId?: string }, RegExp]>([
    ['no package manager of the recipe is present', linux(['npm']), {}, /needs one of apt, dnf, pacman, brew, and none is installed/],
    ['the requested package manager has no variant', linux(['apt']), { packageManager: 'winget' }, /cannot be installed with winget on linux/],
    ['the requested package manager is missing here', linux(['apt']), { packageManager: 'brew' }, /needs brew, and none is installed/],
    ['an unknown variant is asked', linux(['apt']), { variantId: 'nope' }, /has no variant "nope"/],
    ['elevation is needed but impossible', linux(['apt'], { kind: 'unavailable', reason: 'neither sudo nor pkexec was found on the PATH' }), {}, /needs administrator rights: neither sudo nor pkexec/],
  ])('is unsupported, with the reason, when %s', (_, target, request, reason) => {
    const resolved = resolveRecipe(jq, target, request);
    expect(resolved.status).toBe('unsupported');
    expect(resolved.status === 'unsupported' && resolved.reason).toMatch(reason);
  });

  it('resolves for another platform without knowing its package managers', () => {
    const resolved = resolveRecipe(jq, { platform: 'win32', packageManagers: null, elevation: { kind: 'none', reason: 'uac' } });
    expect(resolved).toMatchObject({ status: 'resolved', platform: 'win32', packageManager: 'winget' });
  });

  it('is unsupported for a platform without variants', () => {
    const linuxOnly: Recipe = { ...jq, variants: jq.variants.filter((variant) => variant.platforms.includes('linux') && !variant.platforms.includes('darwin')) };
    expect(resolveRecipe(linuxOnly, { platform: 'darwin', packageManagers: null, elevation: sudo })).toMatchObject({ status: 'unsupported', reason: expect.stringContaining('no way to install jq on darwin') });
  });
});

describe('elevationFor', () => {
  const has = (...names: string[]) => (name: string) => names.includes(name);
  it.each<[string, Parameters<typeof elevationFor>[0], Elevation['kind'], string?]>([
    ['root', { platform: 'linux', isRoot: true, hasDisplay: true, has: has('sudo', 'pkexec') }, 'none'],
    ['Windows (UAC)', { platform: 'win32', isRoot: false, hasDisplay: true, has: has() }, 'none'],
    ['a Linux desktop with pkexec', { platform: 'linux', isRoot: false, hasDisplay: true, has: has('sudo', 'pkexec') }, 'prefix', 'pkexec'],
    ['Linux without a display', { platform: 'linux', isRoot: false, hasDisplay: false, has: has('sudo', 'pkexec') }, 'prefix', 'sudo'],
    ['macOS', { platform: 'darwin', isRoot: false, hasDisplay: true, has: has('sudo') }, 'prefix', 'sudo'],
    ['no sudo at all', { platform: 'linux', isRoot: false, hasDisplay: false, has: has() }, 'unavailable'],
  ])('for %s', (_, machine, kind, command) => {
    const elevation = elevationFor(machine);
    expect(elevation.kind).toBe(kind);
    if (command) expect(elevation).toMatchObject({ command });
  });
});
