import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/contract/errors.js';
import { checkLexically, isDeviceName, isInside } from '../../src/filesystem/path-policy.js';

function refusal(run: () => unknown): { code: string; reason: unknown } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return { code: error.code, reason: error.details?.reason };
  }
}

describe('checkLexically', () => {
  it.each([
    ['a NUL byte', '/data/a\0.txt', 'path_outside_target', 'nul_byte'],
    ['a relative path', 'notes/a.txt', 'path_outside_target', 'not_absolute'],
    ['a relative climb', '../../etc/passwd', 'path_outside_target', 'not_absolute'],
    ['a ".." segment', '/data/project/../../etc/passwd', 'path_outside_target', 'dot_dot_segment'],
    ['a ".." segment that would stay inside', '/data/project/sub/../a.txt', 'path_outside_target', 'dot_dot_segment'],
    ['CON', '/data/CON', 'path_outside_target', 'device_name'],
    ['nul with an extension', '/data/nul.txt', 'path_outside_target', 'device_name'],
    ['COM1 with an extension, any case', '/data/com1.log', 'path_outside_target', 'device_name'],
    ['LPT9 as a directory', '/data/LPT9/a.txt', 'path_outside_target', 'device_name'],
    ['a device name with trailing spaces', '/data/aux .txt', 'path_outside_target', 'device_name'],
    ['CONOUT$', '/data/CONOUT$', 'path_outside_target', 'device_name'],
    ['a superscript COM port', '/data/COM¹', 'path_outside_target', 'device_name'],
    ['a segment over 255 bytes', `/data/${'é'.repeat(128)}`, 'invalid_request', 'name_too_long'],
  ])('refuses %s', (_, requested, code, reason) => {
    expect(refusal(() => checkLexically(requested, 'linux'))).toEqual({ code, reason });
  });

  it.each([
    ['a plain absolute path', '/data/project/a.txt', '/data/project/a.txt'],
    ['duplicate slashes and "."', '/data//project/./a.txt', '/data/project/a.txt'],
    ['names that only look like devices', '/data/console.txt', '/data/console.txt'],
    ['a 255-byte segment', `/data/${'a'.repeat(255)}`, `/data/${'a'.repeat(255)}`],
  ])('accepts %s', (_, requested, normal) => {
    expect(checkLexically(requested, 'linux')).toBe(normal);
  });

  it.each([
    ['the device namespace', '\\\\.\\PhysicalDrive0', 'device_namespace'],
    ['the long-path namespace', '\\\\?\\C:\\Windows', 'device_namespace'],
    ['an alternate data stream', 'C:\\data\\a.txt:secret', 'alternate_data_stream'],
    ['a device name', 'C:\\data\\NUL', 'device_name'],
    ['a drive-relative path', 'C:data\\a.txt', 'not_absolute'],
  ])('on Windows refuses %s', (_, requested, reason) => {
    expect(refusal(() => checkLexically(requested, 'win32'))).toEqual({ code: 'path_outside_target', reason });
  });

  it('on Windows accepts a drive path', () => {
    expect(checkLexically('C:\\data\\a.txt', 'win32')).toBe('C:\\data\\a.txt');
  });
});

describe('isDeviceName', () => {
  it.each([['CON', true], ['con.', true], ['Nul.tar.gz', true], ['COM0', true], ['COM10', false], ['CONFIG', false], ['null', false]])('%s → %s', (name, expected) => {
    expect(isDeviceName(name)).toBe(expected);
  });
});

describe('isInside', () => {
  it.each([
    ['/data', '/data', true],
    ['/data/a', '/data', true],
    ['/database', '/data', false],
    ['/', '/data', false],
    ['/data/..hidden', '/data', true],
    ['/anything', '/', true],
  ])('%s inside %s: %s', (child, parent, expected) => {
    expect(isInside(child, parent, 'linux')).toBe(expected);
  });

  it('compares case-insensitively on Windows and macOS', () => {
    expect(isInside('C:\\Data\\A.txt', 'c:\\data', 'win32')).toBe(true);
    expect(isInside('/Users/Me/Project', '/users/me', 'darwin')).toBe(true);
    expect(isInside('/Users/Me/Project', '/users/me', 'linux')).toBe(false);
  });
});
