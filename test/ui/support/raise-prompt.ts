/**
 * A web app asks the bridge at `baseUrl` to run `printf <text>`, as a browser agent would: it
 * hand-shakes from the bridge's own origin (always allowed), and the run waits for permission.
 */
export async function raisePrintfPrompt(baseUrl: string, text: string, title: string): Promise<{ runId: string; promptId: string; headers: Record<string, string> }> {
  const handshake = await fetch(`${baseUrl}/api/v1/session/handshake`, {
    method: 'POST',
    headers: { origin: baseUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ clientName: 'desktop-window-test' }),
  });
  if (handshake.status !== 201) throw new Error(`handshake failed: ${handshake.status} ${await handshake.text()}`);
  const { sessionToken } = (await handshake.json()) as { sessionToken: string };
  const headers = { origin: baseUrl, 'content-type': 'application/json', 'x-osloop-bridge-token': sessionToken };
  const response = await fetch(`${baseUrl}/api/v1/system/commands/execute`, {
    method: 'POST',
    // Without it, execute holds the request until the user decides.
    headers: { ...headers, prefer: 'respond-async' },
    body: JSON.stringify({ command: 'printf', args: [text], title, reason: 'the desktop test asked' }),
  });
  const body = (await response.json()) as { runId?: string; promptId?: string; state?: string };
  if (response.status !== 202 || body.state !== 'awaiting_permission' || !body.promptId || !body.runId) {
    throw new Error(`expected a run awaiting permission, got ${response.status} ${JSON.stringify(body)}`);
  }
  return { runId: body.runId, promptId: body.promptId, headers };
}

/** The run's state as the web app sees it; `waitMs` long-polls for a final state. */
export async function runState(baseUrl: string, headers: Record<string, string>, runId: string, waitMs = 0): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/system/commands/runs/${runId}?waitMs=${waitMs}`, { headers });
  return ((await response.json()) as { state?: string }).state ?? `HTTP ${response.status}`;
}
