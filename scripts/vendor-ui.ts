/**
 * Copies the browser files the local UI needs from node_modules into `ui/resources/vendor/`, so the
 * pages load nothing from a CDN and the Neutralino app can bundle them. Run after upgrading one of
 * these packages: `npm run vendor:ui`. A test fails when the copies and node_modules differ.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Vendored file → its source in node_modules. */
export const VENDORED: Record<string, string> = {
  'elk.bundled.js': 'elkjs/lib/elk.bundled.js',
  'elk.LICENSE.md': 'elkjs/LICENSE.md',
  'ansi_up.js': 'ansi_up/ansi_up.js',
  'ansi_up.LICENSE': 'ansi_up/LICENSE',
  'neutralino.js': '@neutralinojs/lib/dist/neutralino.js',
  'neutralino.LICENSE': '@neutralinojs/lib/LICENSE',
};

export const vendorDir = path.join(root, 'ui/resources/vendor');
export const sourceOf = (name: string) => path.join(root, 'node_modules', VENDORED[name]!);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await mkdir(vendorDir, { recursive: true });
  for (const name of Object.keys(VENDORED)) {
    await copyFile(sourceOf(name), path.join(vendorDir, name));
    console.log(`vendored ${VENDORED[name]} → ui/resources/vendor/${name}`);
  }
}
