import { ROUTES } from '../../contract/routes/index.js';
import { decodeContent } from '../../filesystem/content-codec.js';
import type { FileOperations } from '../../filesystem/filesystem-pool.js';
import { tooLarge } from '../../filesystem/read-file.js';
import type { TargetRegistry } from '../../filesystem/targets.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';

/**
 * Targets, read, list and write: every path checked on the real filesystem against the targets,
 * each request one job of `files` (off the event loop in the bridge, see filesystem-pool.ts).
 */
export function startFilesystemService(ctx: ServiceContext, targets: TargetRegistry, files: FileOperations): RunningService {
  const { bus, subjects, config } = ctx;
  const limits = () => config.current.filesystem;

  const subscriptions = [
    // Each request uses the configured roots and its own origin's picks only (targets.ts).
    serveRoute(bus, subjects, ROUTES.filesystemTargets, async ({ principal }) => ({ targets: await targets.list(principal) })),

    serveRoute(bus, subjects, ROUTES.filesystemRead, async ({ principal, body }) => {
      const configured = limits().maxReadBytes;
      const askedLess = body.maxBytes !== undefined && body.maxBytes < configured;
      return files.run('read', {
        path: body.path,
        targets: await targets.list(principal),
        maxBytes: askedLess ? body.maxBytes! : configured,
        limitName: askedLess ? 'the request\'s maxBytes' : 'filesystem.maxReadBytes',
        encoding: body.encoding,
      });
    }),

    serveRoute(bus, subjects, ROUTES.filesystemList, async ({ principal, body }) => files.run('list', { path: body.path, targets: await targets.list(principal), limit: body.limit })),

    serveRoute(bus, subjects, ROUTES.filesystemWrite, async ({ principal, body }) => {
      const bytes = decodeContent(body.content, body.encoding);
      const limit = limits().maxWriteBytes;
      if (bytes.length > limit) throw tooLarge(bytes.length, limit, 'filesystem.maxWriteBytes');
      const { targetId, ...reply } = await files.run('write', {
        path: body.path,
        targets: await targets.list(principal),
        bytes,
        overwrite: body.overwrite,
        createParents: body.createParents,
      });
      bus.publish(subjects.event('filesystem.written'), { ...reply, targetId, requestedBy: principal });
      return reply;
    }),
  ];

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
