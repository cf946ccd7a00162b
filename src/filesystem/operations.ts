import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import type { Target } from '../contract/routes/filesystem.js';
import { makeDirectoriesInside } from './anchored-dir.js';
import { writeFileAtomically } from './atomic-write.js';
import { encodeContent } from './content-codec.js';
import { listDirectory, type DirectoryListing } from './list-directory.js';
import { readFileSafely } from './read-file.js';
import { resolveInTargets, type ResolvedPath } from './resolve.js';

/**
 * The filesystem requests the bridge serves, each the whole checked sequence of system calls
 * (resolve, open, check the descriptor, read, close…) as one synchronous function of plain data:
 * run as one job in the filesystem worker (filesystem-pool.ts), a request costs the event loop
 * one turn instead of one per system call. Requests and replies cross threads, so they hold only
 * what structured cloning keeps (no class instances, no functions).
 */
export interface ReadRequest {
  path: string;
  targets: readonly Target[];
  maxBytes: number;
  /** Which limit `maxBytes` is, named in a 413. */
  limitName: string;
  encoding: 'utf8' | 'base64';
}

export interface ReadReply {
  /** The real path read. */
  path: string;
  encoding: 'utf8' | 'base64';
  content: string;
  size: number;
  modifiedAt: string;
}

export interface ListRequest {
  path: string;
  targets: readonly Target[];
  limit: number;
}

export interface WriteRequest {
  path: string;
  targets: readonly Target[];
  bytes: Uint8Array;
  overwrite: boolean;
  createParents: boolean;
}

export interface WriteReply {
  /** The real path written. */
  path: string;
  bytesWritten: number;
  created: boolean;
  targetId: string;
}

/** Reads a file inside a target, encoded as asked (the encoding is done here too: off the loop). */
export function readInTargets(request: ReadRequest): ReadReply {
  const resolved = resolveInTargets(request.path, request.targets, 'read');
  if (!resolved.exists) throw new BridgeError('not_found', 'No such file.', { details: { path: resolved.real } });
  const read = readFileSafely(resolved.real, { maxBytes: request.maxBytes, within: resolved.target.path, limitName: request.limitName });
  return {
    path: resolved.real,
    encoding: request.encoding,
    content: encodeContent(read.bytes, request.encoding),
    size: read.size,
    modifiedAt: read.modifiedAt.toISOString(),
  };
}

export function listInTargets(request: ListRequest): DirectoryListing {
  return listDirectory(request.path, request.targets, { limit: request.limit });
}

/** Writes a file inside a read-write target atomically, creating its parents when asked. */
export function writeInTargets(request: WriteRequest): WriteReply {
  let resolved = resolveInTargets(request.path, request.targets, 'write');
  if (resolved.missing.length > 1) {
    if (!request.createParents) {
      throw new BridgeError('not_found', 'The parent directory does not exist; send "createParents": true to create it.', {
        details: { reason: 'parent_missing', missing: resolved.missing.slice(0, -1) },
      });
    }
    resolved = createParents(resolved, request);
  }
  const result = writeFileAtomically(resolved.real, request.bytes, { overwrite: request.overwrite, within: resolved.target.path });
  return { path: resolved.real, bytesWritten: request.bytes.length, created: result.created, targetId: resolved.target.targetId };
}

/**
 * Creates the missing parents, then resolves the path again: what was created must still be
 * inside the target (a symlink planted meanwhile would show here).
 */
function createParents(resolved: ResolvedPath, request: WriteRequest): ResolvedPath {
  // Created level by level in the directory checked before it: never through a symlink swapped in meanwhile.
  const names = resolved.missing.slice(0, -1);
  let existing = path.dirname(resolved.real);
  for (let i = 0; i < names.length; i++) existing = path.dirname(existing);
  makeDirectoriesInside(existing, names, resolved.target.path);
  const again = resolveInTargets(request.path, request.targets, 'write');
  if (again.missing.length > 1) throw new BridgeError('conflict', 'The parent directories changed while they were created; try again.');
  return again;
}

/** Every operation, by the name a job gives. */
export const FILE_OPERATIONS = { read: readInTargets, list: listInTargets, write: writeInTargets } as const;
export type FileOperationName = keyof typeof FILE_OPERATIONS;
export type FileOperationRequest<K extends FileOperationName> = Parameters<(typeof FILE_OPERATIONS)[K]>[0];
export type FileOperationReply<K extends FileOperationName> = ReturnType<(typeof FILE_OPERATIONS)[K]>;
