import net from 'node:net';
import { MAX_CONTROL_LINE, type ControlReply, type ControlRequest } from './control-protocol.js';

/** Nothing listens on the control socket: no bridge of this data directory is running. */
export class NoControlChannel extends Error {
  constructor(readonly socketPath: string, options?: { cause?: unknown }) {
    super(`No bridge answers on ${socketPath}.`, options);
    this.name = 'NoControlChannel';
  }
}

/** Sends one control request to the bridge of a data directory and returns its reply. */
export function sendControlRequest(socketPath: string, request: ControlRequest, timeoutMs = 15_000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let received = '';
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`The bridge on ${socketPath} did not answer within ${timeoutMs} ms.`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.length > MAX_CONTROL_LINE * 4) socket.destroy(new Error('control reply too long'));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(connected ? error : new NoControlChannel(socketPath, { cause: error }));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const line = received.split('\n')[0] ?? '';
      try {
        resolve(JSON.parse(line) as ControlReply);
      } catch (error) {
        reject(connected ? new Error(`Unreadable control reply: ${JSON.stringify(line.slice(0, 200))}`, { cause: error }) : new NoControlChannel(socketPath));
      }
    });
  });
}
