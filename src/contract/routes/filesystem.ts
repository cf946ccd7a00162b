import { z } from 'zod';
import { SMALL_BODY_LIMIT_BYTES } from '../constants.js';
import { defineRoute } from '../route.js';
import { principalSchema } from '../principal.js';
import { idParams, resourceIdSchema } from './common.js';

export const fileAccessSchema = z.enum(['read', 'read-write']);
export const fileEncodingSchema = z.enum(['utf8', 'base64']).describe('utf8 for text; base64 for exact bytes.');

/** A directory (or a picked file) the web app may use. */
export const targetSchema = z.object({
  targetId: resourceIdSchema,
  path: z.string().describe('Absolute real path (symlinks resolved).'),
  kind: z.enum(['directory', 'file']),
  access: fileAccessSchema,
  source: z.enum(['configured', 'picked']).describe('configured: a root from the bridge settings. picked: chosen by the user in a picker.'),
  addedAt: z.iso.datetime(),
});
export type Target = z.infer<typeof targetSchema>;

/**
 * Paths are absolute and must resolve, on the real path, inside a target. Traversal, symlinks out,
 * NUL bytes and device names are answered 403 `path_outside_target` by the service rather than
 * 400 here, so that every such attempt gets the same clear code.
 */
const pathSchema = z.string().min(1).max(4096).describe('Absolute path inside a target.');

export const filesystemTargets = defineRoute({
  id: 'filesystem.targets',
  method: 'GET',
  path: '/api/v1/filesystem/targets',
  auth: 'session_or_ui',
  summary: 'List filesystem targets',
  reply: z.object({ targets: z.array(targetSchema) }),
});

/** How long a picker waits for the user before it ends `timed_out`. */
export const FILESYSTEM_SELECT_DEFAULT_TIMEOUT_MS = 120_000;
export const FILESYSTEM_SELECT_MAX_TIMEOUT_MS = 600_000;
/** Longest `waitMs` a picker request may long-poll. */
export const PICKER_WAIT_MAX_MS = 120_000;
const PICKER_WAIT_MARGIN_MS = 5_000;

export const pickerStateSchema = z
  .enum(['pending', 'selected', 'cancelled', 'timed_out'])
  .describe('pending: waiting for the user. selected: the picked paths are now targets. cancelled: the user closed the picker. timed_out: nobody answered in `timeoutMs`.');

/** A request for the user to pick files or folders, as its requester and the bridge UI see it. */
export const pickerViewSchema = z.object({
  pickerId: resourceIdSchema,
  state: pickerStateSchema,
  kind: z.enum(['file', 'directory']),
  multiple: z.boolean(),
  title: z.string().nullable(),
  access: fileAccessSchema.describe('Access the picked paths get as targets.'),
  requestedBy: principalSchema,
  native: z.string().nullable().describe('The native dialog shown on this machine (zenity, kdialog, osascript, powershell); null when only the bridge UI can answer.'),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().nullable(),
  answeredBy: z.enum(['native', 'ui']).nullable(),
  targets: z.array(targetSchema).describe('The picked paths, now targets; empty unless `selected`.'),
  nativeError: z.string().nullable().describe('Why the native dialog failed; the bridge UI can still answer.'),
});
export type PickerView = z.infer<typeof pickerViewSchema>;

export const filesystemSelect = defineRoute({
  id: 'filesystem.select',
  method: 'POST',
  path: '/api/v1/filesystem/select',
  auth: 'session_or_ui',
  summary: 'Open file/directory picker',
  body: z.strictObject({
    kind: z.enum(['file', 'directory']),
    multiple: z.boolean().default(false),
    title: z.string().min(1).max(200).optional().describe('Shown in the picker.'),
    access: fileAccessSchema.default('read').describe('Access the picked paths get as targets.'),
    timeoutMs: z.number().int().positive().max(FILESYSTEM_SELECT_MAX_TIMEOUT_MS).default(FILESYSTEM_SELECT_DEFAULT_TIMEOUT_MS),
  }),
  reply: pickerViewSchema.describe(
    'Never waits for the user: 202 with the pending picker. The result arrives as `filesystem.selected`, or from GET /api/v1/filesystem/pickers/:pickerId (which can long-poll). 501 `unsupported` when there is no way to ask (no native dialog, no bridge UI open).',
  ),
  successStatus: 202,
});

export const filesystemPickersGet = defineRoute({
  id: 'filesystem.pickers.get',
  method: 'GET',
  path: '/api/v1/filesystem/pickers/:pickerId',
  auth: 'session_or_ui',
  summary: 'Get a picker and its result',
  params: idParams('pickerId', 'The picker, from the select reply.'),
  query: z.strictObject({
    waitMs: z.coerce.number().int().min(0).max(PICKER_WAIT_MAX_MS).default(0).describe('Long-poll: wait up to this long for the user to answer before replying.'),
  }),
  reply: pickerViewSchema,
  replyTimeoutMs: ({ query }) => query.waitMs + PICKER_WAIT_MARGIN_MS,
});

export const filesystemRead = defineRoute({
  id: 'filesystem.read',
  method: 'POST',
  path: '/api/v1/filesystem/read',
  auth: 'session_or_ui',
  summary: 'Read file content',
  bodyLimit: SMALL_BODY_LIMIT_BYTES,
  body: z.strictObject({
    path: pathSchema,
    encoding: fileEncodingSchema.default('utf8'),
    maxBytes: z.number().int().positive().optional().describe('Refuse (413) a larger file; the bridge\'s own limit applies too.'),
  }),
  reply: z.object({
    path: z.string().describe('The real path read.'),
    encoding: fileEncodingSchema,
    content: z.string(),
    size: z.number().int().describe('File size in bytes.'),
    modifiedAt: z.iso.datetime(),
  }),
});

export const directoryEntrySchema = z.object({
  name: z.string(),
  type: z.enum(['file', 'directory']).describe('What a read (or a list) of `path` meets; a symlink is shown as its destination.'),
  path: z.string().describe('Absolute path of the entry, to read or list it next.'),
});

/** Most entries one listing returns. */
export const FILESYSTEM_LIST_MAX_ENTRIES = 10_000;

export const filesystemList = defineRoute({
  id: 'filesystem.list',
  method: 'POST',
  path: '/api/v1/filesystem/list',
  auth: 'session_or_ui',
  summary: 'List a directory',
  body: z.strictObject({
    path: pathSchema.describe('Absolute path of a directory inside a target.'),
    limit: z.number().int().min(1).max(FILESYSTEM_LIST_MAX_ENTRIES).default(1_000).describe('Most entries returned (the first by name).'),
  }),
  reply: z.object({
    path: z.string().describe('The real path listed.'),
    entries: z.array(directoryEntrySchema).describe('Sorted by name (code unit order).'),
    skipped: z
      .number()
      .int()
      .describe('Entries left out: symlinks whose destination is outside every target (or missing), and sockets, FIFOs and devices, which no read would open.'),
    truncated: z.boolean().describe('More entries than `limit`.'),
  }),
  bodyLimit: SMALL_BODY_LIMIT_BYTES,
});

export const filesystemWrite = defineRoute({
  id: 'filesystem.write',
  method: 'POST',
  path: '/api/v1/filesystem/write',
  auth: 'session_or_ui',
  summary: 'Write file content',
  body: z.strictObject({
    path: pathSchema.describe('Absolute path inside a read-write target.'),
    content: z.string(),
    encoding: fileEncodingSchema.default('utf8'),
    createParents: z.boolean().default(false).describe('Create missing parent directories (inside the target).'),
    overwrite: z.boolean().default(false).describe('Replace an existing file; otherwise an existing file gets 409.'),
  }),
  reply: z.object({
    path: z.string().describe('The real path written (atomically: temp file, then rename).'),
    bytesWritten: z.number().int(),
    created: z.boolean().describe('The file did not exist before.'),
  }),
});
