// Reads an npm tarball (a gzipped ustar archive, every path under `package/`) into memory: enough
// to list what would be published and read its package.json, with no tar program or package.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** The files of a tarball: path inside the package (without `package/`) → contents. */
export type TarballFiles = Map<string, Buffer>;

const BLOCK = 512;

function field(block: Buffer, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * Every regular file of the tarball at `path`. Long names (ustar `prefix`, or a PAX `path` record)
 * are joined; directories and links are skipped, since npm packs files only.
 */
export function readTarball(path: string): TarballFiles {
  const data = gunzipSync(readFileSync(path));
  const files: TarballFiles = new Map();
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + BLOCK <= data.length) {
    const header = data.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(header, 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const body = data.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
      continue;
    }
    paxPath = undefined;
    if (type === "0" || type === "\0") files.set(name.replace(/^[^/]+\//, ""), Buffer.from(body));
  }
  return files;
}
