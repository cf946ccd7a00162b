import type { ConnectOptions, McpConnection, McpConnector, McpTransportSpec } from './connector.js';
import type { SdkConnector, SdkConnectorOptions } from './sdk-connector.js';

/**
 * The SDK connector, loaded at the first connect: the MCP SDK's client and transports cost about
 * a tenth of a second of CPU to import, which a start (and a bridge with no MCP server) need not
 * pay (issue 15, cold start).
 */
export class LazySdkConnector implements McpConnector {
  #connector: Promise<SdkConnector> | undefined;

  constructor(private readonly options: SdkConnectorOptions = {}) {}

  async connect(spec: McpTransportSpec, options: ConnectOptions): Promise<McpConnection> {
    this.#connector ??= import('./sdk-connector.js').then(({ SdkConnector }) => new SdkConnector(this.options));
    return (await this.#connector).connect(spec, options);
  }
}
