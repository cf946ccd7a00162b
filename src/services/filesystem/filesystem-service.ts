import path from 'node:path';
import { BridgeError } from '../../contract/errors.js';
import { ROUTES } from '../../contract/routes/index.js';
import { makeDirectoriesInside } from '../../filesystem/anchored-dir.js';
import { writeFileAtomically } from '../../filesystem/atomic-write.js';
import { listDirectory } from '../../filesystem/list-directory.js';
import { readFileSafely, tooLarge } from '../../filesystem/read-file.js';
import { resolveInTargets, type ResolvedPath } from '../../filesystem/resolve.js';
import type { TargetRegistry } from '../../filesystem/targets.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { decodeContent, encodeContent } from './content-codec.js';

/** Targets, read, list and write: every path checked on the real filesystem against the targets. */
export function startFilesystemService(ctx: ServiceContext, targets: TargetRegistry): RunningService {
  const { bus, subjects, config } = ctx;
  const limits = () => config.current.filesystem;

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.filesystemTargets, async () => ({ targets: await targets.list() })),

    serveRoute(bus, subjects, ROUTES.filesystemRead, async ({ body }) => {
      const resolved = await resolveInTargets(body.path, await targets.list(), 'read');
      if (!resolved.exists) throw new BridgeError('not_found', 'No such file.', { details: { path: resolved.real } });
      const configured = limits().maxReadBytes;
      const askedLess = body.maxBytes !== undefined && body.maxBytes < configured;
      const read = await readFileSafely(resolved.real, {
        maxBytes: askedLess ? body.maxBytes! : configured,
        within: resolved.target.path,
        limitName: askedLess ? 'the request\'s maxBytes' : 'filesystem.maxReadBytes',
      });
      return {
        path: resolved.real,
        encoding: body.encoding,
        content: encodeContent(read.bytes, body.encoding),
        size: read.size,
        modifiedAt: read.modifiedAt.toISOString(),
      };
    }),

    serveRoute(bus, subjects, ROUTES.filesystemList, async ({ body }) => listDirectory(body.path, await targets.list(), { limit: body.limit })),

    serveRoute(bus, subjects, ROUTES.filesystemWrite, async ({ body }) => {
      const bytes = decodeContent(body.content, body.encoding);
      const limit = limits().maxWriteBytes;
      if (bytes.length > limit) {
        throw tooLarge(bytes.length, limit, 'filesystem.maxWriteBytes');
      }
      let resolved = await resolveInTargets(body.path, await targets.list(), 'write');
      if (resolved.missing.length > 1) {
        if (!body.createParents) {
          throw new BridgeError('not_found', 'The parent directory does not exist; send "createParents": true to create it.', {
            details: { reason: 'parent_missing', missing: resolved.missing.slice(0, -1) },
          });
        }
        resolved = await createParents(resolved, body.path, () => targets.list());
      }
      const result = await writeFileAtomically(resolved.real, bytes, { overwrite: body.overwrite, within: resolved.target.path });
      const reply = { path: resolved.real, bytesWritten: bytes.length, created: result.created };
      bus.publish(subjects.event('filesystem.written'), { ...reply, targetId: resolved.target.targetId });
      return reply;
    }),
  ];

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

/**
 * Creates the missing parents, then resolves the path again: what was created must still be
 * inside the target (a symlink planted meanwhile would show here).
 */
async function createParents(resolved: ResolvedPath, requested: string, targets: () => Promise<Parameters<typeof resolveInTargets>[1]>): Promise<ResolvedPath> {
  // Created level by level in the directory checked before it: never through a symlink swapped in meanwhile.
  const names = resolved.missing.slice(0, -1);
  let existing = path.dirname(resolved.real);
  for (let i = 0; i < names.length; i++) existing = path.dirname(existing);
  await makeDirectoriesInside(existing, names, resolved.target.path);
  const again = await resolveInTargets(requested, await targets(), 'write');
  if (again.missing.length > 1) throw new BridgeError('conflict', 'The parent directories changed while they were created; try again.');
  return again;
}
