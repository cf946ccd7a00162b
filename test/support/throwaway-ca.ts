import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** PEM files of a CA made for one test run and a server certificate it signed for 127.0.0.1. */
export interface ThrowawayTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes a CA and a loopback server certificate with the openssl CLI (Debian's), valid for one
 * day, in `dir`. Clients that trust only `caFile` can then verify the servers for real.
 */
export async function makeThrowawayTls(dir: string): Promise<ThrowawayTls> {
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=osloop fleet test CA']);
  await execa('openssl', ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(
    file('server.ext'),
    ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'].join('\n'),
  );
  await execa('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '1', '-extfile', file('server.ext')]);
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}
