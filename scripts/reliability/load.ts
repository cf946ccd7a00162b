import { CALL_KINDS, LOAD_SIZES, runEventFanout, runMixedSessions } from '../../test/hardening/workloads/load.js';
import { mib, ms } from '../../test/hardening/workloads/probes.js';
import { count, type ReliabilityPart, type ReliabilityRow } from './section.js';

/** The load section: the slow-consumer fan-out, then many sessions doing mixed calls. */
export const loadReport: ReliabilityPart = async (size) => {
  const options = { ...LOAD_SIZES[size], log: (line: string) => process.stderr.write(`${line}\n`) };
  const fanout = await runEventFanout(options);
  const sessions = await runMixedSessions(options);
  const healthy = options.clients - 1;

  const fanoutRows: ReliabilityRow[] = [
    { name: 'events published', value: count(fanout.events), note: 'on `event.system.command.stdout` (2 KiB chunks), then the real path: event log, `seq.*`, each socket\'s FramePump' },
    { name: 'WebSocket clients', value: `${count(fanout.clients)} (${healthy} healthy + 1 slow)`, note: 'real sockets (`ws`), in the bridge\'s process' },
    { name: 'events delivered to healthy clients', value: count(fanout.healthyReceivedMin * healthy), note: `each of the ${healthy} got ${count(fanout.healthyReceivedMin)} of ${count(fanout.events)}; ${fanout.healthyClosedEarly} cut off` },
    { name: 'gaps / out of order / duplicates', value: `${fanout.gaps} / ${fanout.outOfOrder} / ${fanout.duplicates}`, note: 'every frame\'s `seq` must be the previous one + 1; every chunk\'s index the next one' },
    {
      name: 'slow client close code',
      value: String(fanout.slow.closeCode ?? 'none'),
      note: `stopped reading; cut after ${count(fanout.slow.receivedBeforeCut)} events (since=${fanout.slow.since})`,
    },
    {
      name: 'slow client resumed with `since`',
      value: count(fanout.slow.resumedWith),
      note: `events replayed then live, over ${fanout.slow.resumes} connection(s), each resumed with the since of a 4008; lost ${fanout.slow.lost}, twice ${fanout.slow.repeated}, out of place ${fanout.slow.gapsAfterResume}`,
    },
    { name: 'fan-out wall time', value: `${(fanout.wallMs / 1000).toFixed(1)} s`, note: `${count(fanout.framesPerSecond)} frames/s delivered to the healthy clients` },
    { name: 'fan-out memory', value: `peak RSS ${mib(fanout.peakRss)}, peak heap ${mib(fanout.peakHeap)}`, note: `heap after, forced GC: ${mib(fanout.heapAfter)}; the ring holds the whole stream` },
  ];

  const latencyRows: ReliabilityRow[] = [...CALL_KINDS, 'all' as const].map((kind) => {
    const stats = sessions.latency[kind];
    return {
      name: kind === 'all' ? 'latency, all calls' : `latency, ${kind}`,
      value: `p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}`,
      note: `max ${ms(stats.max)}, ${count(stats.count)} calls`,
    };
  });
  const expected = Object.entries(sessions.expected).map(([what, n]) => `${what} ×${n}`).join(', ') || 'none';
  const sessionRows: ReliabilityRow[] = [
    { name: 'sessions', value: count(sessions.sessions), note: `each hand-shaken (${(sessions.handshakeMs / 1000).toFixed(1)} s for all), then calling closed-loop for ${(sessions.durationMs / 1000).toFixed(1)} s` },
    { name: 'requests', value: count(sessions.requests), note: `${count(sessions.throughput)} req/s; ${count(sessions.runsStarted)} command runs, each long-polled to completion` },
    { name: 'expected refusals', value: count(sessions.requests - sessions.ok - sessions.unexpected), note: expected },
    { name: 'unexpected errors', value: count(sessions.unexpected), note: sessions.unexpectedSamples.slice(0, 3).join('; ') },
    {
      name: 'slowest calls',
      value: sessions.slowest.length === 0 ? 'none over 1 s' : sessions.slowest.slice(0, 3).map((call) => `${call.kind} ${ms(call.latencyMs)}`).join(', '),
      note: sessions.slowest.length === 0 ? '' : `started ${sessions.slowest.slice(0, 3).map((call) => `${(call.startedAtMs / 1000).toFixed(1)} s`).join(', ')} into the calls`,
    },
    ...latencyRows,
  ];

  return {
    title: 'Load',
    command: `npm run reliability -- load${size === 'ci' ? ' --size ci' : ''}`,
    rows: [...fanoutRows, ...sessionRows],
    prose:
      'Fan-out: the publisher lets the slowest healthy client fall at most 300 events behind (clients and bridge share one process and its CPU), the slow client stops reading until 4,000 events are out, with `wsQueueLimit` at 500 so that its cut comes within a known count whatever the kernel buffers on loopback. Sessions: the handshake rate limit is raised to let 200 sessions in from 127.0.0.1 (30 a minute by default); the mix is bridge/info, system/info, whitelisted `echo` runs long-polled to completion, the runs list, a 1 KiB file read, the whitelist rules, and the tools of a connected server-everything. `maxConcurrentRuns` keeps its default (32): executes past it are queued and start as slots free (only a full queue, `maxQueuedRuns`, would refuse with 429 `rate_limited`). The load generator runs in a process of its own (test/hardening/workloads/load-generator.ts, forked), each session with its own keep-alive connections like a browser tab (at most 6), so latencies are the bridge\'s, not a share of one event loop with the generator. The sessions call closed-loop with no pause, so the bridge is saturated throughout and the mean latency is sessions ÷ throughput (Little\'s law): it falls only as the bridge\'s throughput rises. A run wait is the run\'s wait for one of the 32 slots, each held from the run\'s spawn to its exit; the bridge\'s three spawn helpers overlap their waits for each child\'s exec, which with one helper (and, on a faster machine, with two) made run waits the longest calls of the load (docs/performance.md, rounds 11 and 15).',
  };
};
