// Loaded into a bridge the benches start (`node --import <this> bin/osloop-bridge.js start`): on
// SIGUSR2 it collects garbage fully and writes process.memoryUsage() to $OSLOOP_BENCH_MEMORY_FILE,
// so RSS is read from outside the process after a GC, as the bridge really runs (compiled, no
// loader), without a bench-only route in the bridge.
import { renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

const file = process.env.OSLOOP_BENCH_MEMORY_FILE;
if (file) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  process.on('SIGUSR2', async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(100);
    }
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
}
