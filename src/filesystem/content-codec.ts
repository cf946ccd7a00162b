import { BridgeError } from '../contract/errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes a write request carries; base64 is checked strictly (Node would skip bad characters). */
export function decodeContent(content: string, encoding: 'utf8' | 'base64'): Buffer {
  if (encoding === 'utf8') return Buffer.from(content, 'utf8');
  if (!BASE64.test(content)) {
    throw new BridgeError('invalid_request', 'The content is not valid base64 (RFC 4648, with padding, no line breaks).', { details: { reason: 'invalid_base64' } });
  }
  return Buffer.from(content, 'base64');
}

/** A file's bytes as the requested encoding; utf8 refuses bytes that are not UTF-8 rather than mangle them. */
export function encodeContent(bytes: Buffer, encoding: 'utf8' | 'base64'): string {
  if (encoding === 'base64') return bytes.toString('base64');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BridgeError('invalid_request', 'The file is not valid UTF-8; read it with "encoding": "base64".', { details: { reason: 'not_utf8' } });
  }
}
