import { describe, expect, it } from 'vitest';
import { createInProcessBus, subjectsFor } from '../../src/bus/index.js';
import { InstallGrants, gateWithInstallGrant, type GrantRedeemReply } from '../../src/services/system/install-grants.js';

const step = { command: 'npm', args: ['install', '--global', '@anthropic-ai/claude-code'] };
const grant = { installId: 'inst_1', runId: 'run_1', step, decisionId: 'dec_1', promptId: 'prm_1' };
const exact = { runId: 'run_1', template: { command: step.command, args: [...step.args] }, shell: false };

describe('install grants', () => {
  it('allow the run they were issued for, for exactly its step, once', () => {
    const grants = new InstallGrants();
    grants.issue(grant);
    expect(grants.redeem(exact)).toEqual({ granted: true, installId: 'inst_1', decisionId: 'dec_1', promptId: 'prm_1' });
    expect(grants.redeem(exact)).toEqual({ granted: false });
  });

  it.each([
    ['another run', { ...exact, runId: 'run_2' }],
    ['another argument', { ...exact, template: { command: 'npm', args: ['install', '--global', 'left-pad'] } }],
    ['one argument more', { ...exact, template: { command: 'npm', args: [...step.args, '--foreground-scripts'] } }],
    ['another executable', { ...exact, template: { command: 'pnpm', args: [...step.args] } }],
    ['a shell', { ...exact, shell: true }],
    ['a working directory', { ...exact, template: { ...exact.template, cwd: '/tmp' } }],
    ['an environment', { ...exact, template: { ...exact.template, env: { NODE_OPTIONS: '--require /tmp/x.js' } } }],
    ['stdin', { ...exact, template: { ...exact.template, stdin: 'y\n' } }],
  ])('cover nothing else: not %s, and are not spent by it', (_, request) => {
    const grants = new InstallGrants();
    grants.issue(grant);
    expect(grants.redeem(request)).toEqual({ granted: false });
    expect(grants.redeem(exact)).toMatchObject({ granted: true });
  });

  it('are gone once their install ended', () => {
    const grants = new InstallGrants();
    grants.issue(grant);
    grants.issue({ ...grant, installId: 'inst_2', runId: 'run_9' });
    grants.revokeInstall('inst_1');
    expect(grants.redeem(exact)).toEqual({ granted: false });
    expect(grants.redeem({ ...exact, runId: 'run_9' })).toMatchObject({ granted: true, installId: 'inst_2' });
  });
});

describe("a run's gate with install grants", () => {
  const setup = () => {
    const bus = createInProcessBus();
    const subjects = subjectsFor('test');
    const grants = new InstallGrants();
    const served = grants.serve(bus, subjects);
    const outcome: { granted: GrantRedeemReply | null; asked: number } = { granted: null, asked: 0 };
    const gate = (input: { subjectKind: string; subjectId: string; template: { command: string; args: string[] }; shell: boolean }) =>
      new Promise<typeof outcome>((resolve) => {
        gateWithInstallGrant(
          { bus, subjects },
          input,
          (grant) => resolve({ ...outcome, granted: grant }),
          () => {
            resolve({ ...outcome, asked: outcome.asked + 1 });
            return () => {};
          },
        );
      });
    return { grants, gate, close: () => served.unsubscribe() };
  };

  it('lets an install step with its grant through without asking the authority', async () => {
    const { grants, gate, close } = setup();
    grants.issue(grant);
    expect(await gate({ subjectKind: 'install', subjectId: 'run_1', template: exact.template, shell: false })).toEqual({ granted: { granted: true, installId: 'inst_1', decisionId: 'dec_1', promptId: 'prm_1' }, asked: 0 });
    close();
  });

  it('asks the authority for an install run without a grant, and for every command run', async () => {
    const { grants, gate, close } = setup();
    grants.issue(grant);
    expect(await gate({ subjectKind: 'install', subjectId: 'run_2', template: exact.template, shell: false })).toEqual({ granted: null, asked: 1 });
    // A command run is never looked up, even with the id of a grant.
    expect(await gate({ subjectKind: 'command', subjectId: 'run_1', template: exact.template, shell: false })).toEqual({ granted: null, asked: 1 });
    close();
  });
});
