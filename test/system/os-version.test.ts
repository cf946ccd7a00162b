import { describe, expect, it } from 'vitest';
import { osReleaseName } from '../../src/system/os-version.js';

describe('osReleaseName', () => {
  it.each([
    ['PRETTY_NAME', 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n', 'Debian GNU/Linux 12 (bookworm)'],
    ['NAME and VERSION_ID without PRETTY_NAME', "NAME='Alpine Linux'\nVERSION_ID=3.20.0\n", 'Alpine Linux 3.20.0'],
    ['NAME alone', 'NAME=Arch\n', 'Arch'],
    ['nothing usable', '# empty\n', null],
  ])('reads %s', (_, text, expected) => {
    expect(osReleaseName(text)).toBe(expected);
  });
});
