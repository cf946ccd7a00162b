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
