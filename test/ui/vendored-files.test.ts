import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VENDORED, sourceOf, vendorDir } from '../../scripts/vendor-ui.js';

describe('ui/resources/vendor', () => {
  it.each(Object.keys(VENDORED))('%s is the installed package\'s file (run `npm run vendor:ui` after an upgrade)', async (name) => {
    const [vendored, installed] = await Promise.all([readFile(path.join(vendorDir, name)), readFile(sourceOf(name))]);
    expect(vendored.equals(installed)).toBe(true);
  });

  it('no page loads anything from another host', async () => {
    const { readdir } = await import('node:fs/promises');
    const root = path.resolve(vendorDir, '..');
    const files = (await readdir(root, { recursive: true })).filter((f) => /\.(html|js|css)$/.test(f) && !f.startsWith('vendor'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = await readFile(path.join(root, file), 'utf8');
      expect({ file, remote: text.match(/(?:src|href)=["']https?:\/\//g) ?? [] }).toEqual({ file, remote: [] });
      expect({ file, remote: text.match(/import\s+[^'"]*['"]https?:/g) ?? [] }).toEqual({ file, remote: [] });
    }
  });
});
