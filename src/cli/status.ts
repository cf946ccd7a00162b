import { readFile } from 'node:fs/promises';
import { ConfigStore } from '../config/config-store.js';
import { resolvePaths } from '../config/paths.js';
import { UI_TOKEN_HEADER } from '../contract/constants.js';

/** `osloop-bridge status`: prints the running bridge's state, or says that none answers. */
export async function runStatus(options: { port?: number; json?: boolean }): Promise<number> {
  const paths = resolvePaths();
  const port = options.port ?? (await ConfigStore.open(paths.configFile)).current.port;
  const base = `http://127.0.0.1:${port}`;
  let uiToken = '';
  try {
    uiToken = (await readFile(paths.uiTokenFile, 'utf8')).trim();
  } catch {
    // No token file: no bridge has run as this user with this home.
  }
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1/ui/status`, { headers: { [UI_TOKEN_HEADER]: uiToken } });
  } catch {
    console.error(`No bridge answers on ${base}.`);
    return 1;
  }
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const error = (body as { error?: { code: string; message: string } }).error;
    console.error(`The process on port ${port} refused: ${error ? `${error.code}: ${error.message}` : response.status}`);
    return 1;
  }
  if (options.json) {
    console.log(JSON.stringify(body, null, 2));
    return 0;
  }
  const actors = Object.entries(body.actors as Record<string, number>).map(([kind, n]) => `${kind}=${n}`).join(' ');
  console.log(
    [
      `port        ${String(body.activePort ?? '-')} (configured ${String(body.configuredPort)})`,
      `bind state  ${String(body.bindState)}${body.bindError ? ` (${String(body.bindError)})` : ''}`,
      `uptime      ${Math.round(Number(body.uptimeMs) / 1000)} s`,
      `bus         ${String(body.bus)}`,
      `actors      ${actors}`,
      `version     ${String(body.version)}`,
    ].join('\n'),
  );
  return 0;
}
