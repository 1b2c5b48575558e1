// Keys and certificates for TLS, given either as PEM text or as the path of a PEM file: the
// library API takes both (contents suit secrets held in memory, paths suit config files), the
// CLI passes paths.
import fs from 'node:fs';

/** PEM text (a string holding "-----BEGIN" or a Buffer), or the path of a PEM file. */
export type PemSource = string | Buffer;

const PEM_MARKER = '-----BEGIN';

/** The PEM bytes of `source`, reading the file when it is a path. */
export function readPemSource(source: PemSource): Buffer {
  if (Buffer.isBuffer(source)) return source;
  if (source.includes(PEM_MARKER)) return Buffer.from(source, 'utf8');
  return fs.readFileSync(source);
}
