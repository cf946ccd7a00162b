import { z } from 'zod';
import { defineRoute } from '../route.js';
import { idParams, noNulString } from './common.js';
import { pickerViewSchema } from './filesystem.js';

/**
 * The bridge UI's side of file pickers: it lists the pending ones and answers them for the user
 * when no native dialog exists (or beside it). Listing also tells the bridge a UI is open to
 * answer: without a native dialog, `POST /filesystem/select` is refused (501) unless the UI
 * listed pickers within the last `filesystem.uiPresenceMs` (30 s by default).
 */
export const uiPickersList = defineRoute({
  id: 'ui.pickers.list',
  method: 'GET',
  path: '/api/v1/ui/pickers',
  auth: 'ui',
  summary: 'Pending file pickers (local UI only)',
  reply: z.object({ pickers: z.array(pickerViewSchema).describe('Pending pickers, oldest first.') }),
});

export const uiPickersResolve = defineRoute({
  id: 'ui.pickers.resolve',
  method: 'POST',
  path: '/api/v1/ui/pickers/:pickerId/resolve',
  auth: 'ui',
  summary: 'Answer a file picker with the paths the user chose, or cancel it (local UI only)',
  params: idParams('pickerId', 'A pending picker.'),
  body: z.union([
    z.strictObject({
      paths: z.array(noNulString.min(1).max(4096)).min(1).max(1000).describe('Absolute paths of existing files or directories (as the picker asked); one unless `multiple`.'),
    }),
    z.strictObject({ cancelled: z.literal(true) }),
  ]),
  reply: pickerViewSchema.describe('The picker once answered. 409 when it is no longer pending; 400 when a path does not exist or is of the wrong kind.'),
});
