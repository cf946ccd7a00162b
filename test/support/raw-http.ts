import net from 'node:net';

/**
 * Sends a hand-written HTTP/1.1 request, for what `fetch` will not send (no Host, two Hosts,
 * two Origins), and returns the status and raw head.
 */
export function rawRequest(port: number, lines: string[], body = ''): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', rest = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head, body: rest });
    });
    socket.write(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/** Writes `bytes` on a new connection; resolves with everything the bridge wrote once it closed the connection. */
export function rawUntilClosed(port: number, bytes: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  return new Promise<string>((resolve) => {
    let data = '';
    socket.on('data', (chunk) => (data += String(chunk)));
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

/** A browser's WebSocket upgrade request for `target`, from `origin`, as raw bytes. */
export function upgradeRequest(port: number, origin: string, target: string): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Origin: ${origin}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    '',
    '',
  ].join('\r\n');
}
