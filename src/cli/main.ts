import { Command, InvalidArgumentError } from 'commander';
import { BRIDGE_VERSION } from '../version.js';

// Each command loads its own module when it runs: `status` need not load the whole bridge.

const parsePort = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`expected a port from 1 to 65535, got ${JSON.stringify(value)}`);
  return port;
};
const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('osloop-bridge')
  .description('Local bridge between the OS Loop web app and this machine: MCP servers, commands, files, tools, sleep prevention.')
  .version(BRIDGE_VERSION);

program
  .command('start')
  .description('Start the bridge on 127.0.0.1 (port 47832 unless configured; never another port)')
  .option('--port <n>', 'listen on this port for this run (the configured port is unchanged)', parsePort)
  .option('--nats <url>', 'join the fleet at this NATS server (auth and TLS from the `nats` config; the actor bus stays in-process; also OSLOOP_NATS_URL)')
  .option('--dev', 'also allow http://localhost:* and http://127.0.0.1:* origins')
  .option('--allow-origin <url>', 'allow this exact web-app origin (repeatable)', collect, [])
  .option('--ui', 'desktop mode: open the Neutralino window, and stay up (retryable) when the port cannot be bound')
  .action(async (options: { port?: number; nats?: string; dev?: boolean; allowOrigin: string[]; ui?: boolean }) => {
    if (options.ui) {
      const { runDesktop } = await import('./ui.js');
      process.exitCode = await runDesktop({ ...(options.port ? { port: options.port } : {}), ...(options.nats ? { natsUrl: options.nats } : {}), dev: options.dev ?? false, allowOrigins: options.allowOrigin });
      return;
    }
    const { runStart } = await import('./start.js');
    process.exitCode = await runStart(options);
  });

program
  .command('status')
  .description('Ask the running bridge for its port, bind state, uptime and live actors')
  .option('--port <n>', 'port to ask (default: the configured port)', parsePort)
  .option('--json', 'print JSON')
  .action(async (options: { port?: number; json?: boolean }) => {
    const { runStatus } = await import('./status.js');
    process.exitCode = await runStatus(options);
  });

program
  .command('open')
  .description('Open the local UI of the running bridge in the default browser, already signed in')
  .argument('[page]', 'status, approvals, rules, runs, mcp, awake, inspector or settings', 'status')
  .option('--port <n>', 'port of the bridge (default: the configured port)', parsePort)
  .action(async (page: string, options: { port?: number }) => {
    const { runOpen } = await import('./open.js');
    process.exitCode = await runOpen({ page, ...(options.port ? { port: options.port } : {}) });
  });

program
  .command('open-url')
  .description('Handle an osloop:// URL: osloop://open, osloop://focus, osloop://ensure-server, osloop://settings')
  .argument('<url>', 'the osloop:// URL')
  .action(async (url: string) => {
    const { runOpenUrl } = await import('./open-url.js');
    process.exitCode = await runOpenUrl(url);
  });

program
  .command('protocol')
  .description('Register or unregister this CLI as the handler of osloop:// URLs for the current user')
  .argument('<action>', 'register or unregister')
  .action(async (action: string) => {
    const { runProtocol } = await import('./protocol.js');
    process.exitCode = await runProtocol(action);
  });

program
  .command('fleet')
  .description('Fleet over NATS: pair or unpair an orchestrator by its public key, or print this machine\'s id (docs/fleet.md)')
  .argument('<action>', 'pair, unpair or id')
  .argument('[key]', 'the orchestrator\'s nkey public key (U…)')
  .option('--label <text>', 'a name for the orchestrator, shown in Settings')
  .action(async (action: string, key: string | undefined, options: { label?: string }) => {
    const { runFleet } = await import('./fleet.js');
    process.exitCode = await runFleet(action, key, options);
  });

// Not awaited at the top level: the CLI is bundled into one CommonJS file (scripts/bundle-cli.mjs),
// which has no top-level await. A rejection still ends the process with its stack.
void program.parseAsync(process.argv);
