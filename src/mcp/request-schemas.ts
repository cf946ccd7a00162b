import {
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpRequestMethod } from './connector.js';

/** The SDK's schema of each proxied request's result: what the SDK checks before handing it on. */
export const REQUEST_RESULT_SCHEMAS = {
  'resources/read': ReadResourceResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
} as const satisfies Record<McpRequestMethod, unknown>;
