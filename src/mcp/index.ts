export type { CallToolOptions, CloseListener, ConnectOptions, ListKind, McpConnection, McpConnector, McpServerIdentity, McpTransportSpec, McpAuth, McpRequestMethod, McpServerNotification, ServerRequest, ServerRequestHandler, ServerRequestMethod, RequestOptions } from './connector.js';
export { McpConnectionClosedError, McpRemoteError, McpTimeoutError, MCP_INVALID_PARAMS, MCP_METHOD_NOT_FOUND } from './errors.js';
export { InMemoryConnector, type TwinDefinition, type TwinServerFactory } from './in-memory-connector.js';
export { SdkConnector, type SdkConnectorOptions } from './sdk-connector.js';
