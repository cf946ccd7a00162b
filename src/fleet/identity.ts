import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createCurve, createUser, fromCurveSeed, fromSeed, type KeyPair } from '@nats-io/nkeys';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { signText } from './signing.js';

/**
 * This bridge's fleet identity: an nkey user key whose public key is the machine id (stable
 * across restarts), and a curve key that secrets are sealed to. Both seeds live in one file,
 * readable by this OS user only, in the data directory.
 */
export interface FleetIdentity {
  /** The public key of `identity`: how the fleet names this machine. */
  machineId: string;
  /** Signs replies, events and presence. */
  identity: KeyPair;
  /** Opens what orchestrators sealed to this machine; seals replies back. */
  curve: KeyPair;
  curveKey: string;
  /** `curveKey` signed by the machine key: an orchestrator seals only to a key the machine vouched for. */
  curveKeySignature: string;
  /** The identity seed as text: usable as the NATS nkey credential when the server lists the machine id. */
  seed: string;
  file: string;
}

export const IDENTITY_FILE_NAME = 'fleet-identity.json';

const fileSchema = z.strictObject({ seed: z.string().startsWith('SU'), curveSeed: z.string().startsWith('SX') });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Loads the identity from the data directory, creating it (owner-only) on first use. */
export async function loadOrCreateIdentity(dataDir: string, warn: (message: string) => void = () => {}): Promise<FleetIdentity> {
  const file = path.join(dataDir, IDENTITY_FILE_NAME);
  let stored: z.infer<typeof fileSchema>;
  try {
    const text = await readFile(file, 'utf8');
    stored = fileSchema.parse(JSON.parse(text));
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) {
      // Someone (a restore, a copy) widened it: the seeds may have been read, so say so loudly.
      warn(`${file} was readable by other users (mode ${mode.toString(8)}); made owner-only. Re-pair this machine if others could have read it.`);
      await chmod(file, 0o600);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`The fleet identity file ${file} is unreadable or corrupt; move it away to create a new identity (the machine id will change).`, { cause: error });
    stored = {
      seed: decoder.decode(createUser().getSeed()),
      curveSeed: decoder.decode(createCurve().getSeed()),
    };
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
  }
  return identityFromSeeds(stored.seed, stored.curveSeed, file);
}

/** Builds an identity from its two seeds (also used by tests and the orchestrator client). */
export function identityFromSeeds(seed: string, curveSeed: string, file = ''): FleetIdentity {
  const identity = fromSeed(encoder.encode(seed));
  const curve = fromCurveSeed(encoder.encode(curveSeed));
  const machineId = identity.getPublicKey();
  const curveKey = curve.getPublicKey();
  return { machineId, identity, curve, curveKey, curveKeySignature: signText(identity, 'curve-key', `${machineId}\n${curveKey}`), seed, file };
}
