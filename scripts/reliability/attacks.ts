import {
  ATTACK_SIZES,
  csrfAttack,
  foreignOriginAttack,
  pendingRun,
  promptResolutionAttack,
  rebindingAttack,
  ruleCreationAttack,
  smugglingAttack,
  symlinkRace,
  tokenFlood,
  type AttackResult,
} from '../../test/hardening/workloads/attacks.js';
import { send, startAttackBridge } from '../../test/hardening/workloads/attacks-support.js';
import { count, type ReliabilityPart, type ReliabilityRow } from './section.js';

/**
 * `npm run reliability -- attacks`: the attack suite of test/hardening/attacks.test.ts on a real
 * bridge over loopback HTTP/WS: each class's attempts and how many got through (must be 0), the
 * token flood's effect on the legitimate session, and the symlink race on writes.
 */
const ratio = (a: number, b: number): string => (b > 0 ? `×${(a / b).toFixed(2)}` : 'n/a');

export const attacksReport: ReliabilityPart = async (size) => {
  const sizes = ATTACK_SIZES[size];
  const a = await startAttackBridge();
  try {
    const results: AttackResult[] = [];
    results.push(await rebindingAttack(a));
    results.push(await foreignOriginAttack(a));
    results.push(await csrfAttack(a));
    const smuggling = await smugglingAttack(a, sizes.smugglingRounds);
    results.push(smuggling);
    const prompt = await pendingRun(a, 'report-prompt');
    results.push(await promptResolutionAttack(a, prompt.promptId, prompt.runId, { localOnly: false }));
    const localOnly = (on: boolean) =>
      send(a.port, 'PATCH', '/api/v1/ui/settings', { host: a.host, 'content-type': 'application/json', 'x-osloop-ui-token': a.bridge.uiToken }, JSON.stringify({ approvalsLocalOnly: on }));
    const local = await pendingRun(a, 'report-local-only');
    await localOnly(true);
    results.push(await promptResolutionAttack(a, local.promptId, local.runId, { localOnly: true }));
    await localOnly(false);
    results.push(await ruleCreationAttack(a));
    const flood = await tokenFlood(a, sizes.wrongTokens);
    results.push(flood);
    const race = await symlinkRace(a, sizes.raceWrites);
    results.push(race);

    const rows: ReliabilityRow[] = results.map((r) => ({
      name: `${r.name}: got through`,
      value: `${count(r.gotThrough)} of ${count(r.attempts)}`,
      note: r.failures.length > 0 ? `first: ${r.failures[0]}` : 'attempts not refused as specified, or that reached a route (bus dispatch)',
    }));
    rows.push(
      { name: 'Wrong tokens tried', value: count(flood.wrongTokens), note: `random, prefixes, one character off, case-flipped, hashes, the other origin's; ${count(flood.wrongPerSecond)} /s on 16 keep-alive connections` },
      { name: 'Legit req/s alone', value: `${count(flood.legitBaselinePerSecond)} req/s`, note: 'GET /api/v1/bridge/info, one connection, sequential' },
      { name: 'Legit req/s during the wrong-token flood', value: `${count(flood.legitDuringFloodPerSecond)} req/s`, note: `${ratio(flood.legitDuringFloodPerSecond, flood.legitBaselinePerSecond)} of alone (16 flood connections against 1); ${count(flood.legitFailures)} legit calls not 200 (none 429)` },
      { name: 'Legit req/s during an equal flood of valid requests', value: `${count(flood.legitDuringValidFloodPerSecond)} req/s`, note: `wrong-token flood / valid flood: ${ratio(flood.legitDuringFloodPerSecond, flood.legitDuringValidFloodPerSecond)} (1.00 = a wrong token costs the bridge no more than a right one); server ${count(flood.validPerSecond)} valid vs ${count(flood.wrongPerSecond)} wrong req/s` },
      { name: 'Smuggling cases answered by the bridge (structured)', value: `${count(smuggling.structured)} of ${count(smuggling.attempts / sizes.smugglingRounds)}`, note: "the rest refused by Node's HTTP parser (bare 400, socket closed)" },
      { name: 'Symlink race: write attempts', value: count(race.writes), note: `${count(race.written)} written, ${count(race.refused)} refused, ${count(race.serverErrors)} 5xx; racer swaps: ${count(race.swaps)}` },
      { name: 'Symlink race: writes outside the target', value: count(race.outsideEvents + race.outsideEntriesAfter + (race.victimChanged ? 1 : 0)), note: 'inotify events in the outside directory, entries left there, victim file changed' },
    );
    return {
      title: 'Attacks',
      command: 'npm run reliability -- attacks',
      rows,
      prose:
        'Every attack runs against a real bridge over loopback. A request "got through" when it was not refused with the expected status and code, or when it reached a route at all (counted on the bus). The flood ratio compares the legitimate session alone and under the flood on the same two cores: wrong tokens cost a hash and a map lookup each, with no lock-out and no per-token rate limit (only the handshake is rate-limited). On Linux, writes name the parent directory through the descriptor opened and checked (/proc/self/fd), so a parent swapped for a symlink cannot redirect them; elsewhere the real path is checked again just before the write, which narrows but does not close that window.',
    };
  } finally {
    await a.close();
  }
};
