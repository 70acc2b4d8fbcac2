/**
 * The file system calls of the file storage (`./file.ts`), chosen once by
 * runtime: Deno's own sync calls in Deno (measured faster there: `lstat`
 * ~2 µs against ~6 µs for `node:fs`'s stat calls under Deno), `node:fs`
 * in Node and Bun. Both do the same thing: no call follows a symbolic link
 * it is not asked to, new files are created exclusively (`O_EXCL`, never
 * written through a planted link), deletion is `unlink(2)`.
 *
 * @module
 */
import {
  closeSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";

/** What `lstat` says of a path (never follows a link). */
export interface EntryInfo {
  /** A regular file. */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
  /** A symbolic link. */
  isSymlink: boolean;
  /** A FIFO. */
  isFifo: boolean;
  /** A character or block device. */
  isDevice: boolean;
  /** A socket. */
  isSocket: boolean;
  /** Size in bytes. */
  size: number;
  /** Modification time, when known. */
  mtime: Date | null;
}

/** The calls the file storage makes. */
export interface FileSystem {
  /** `lstat(2)`. */
  lstat(path: string): EntryInfo;
  /** `mkdir -p`. */
  mkdirp(dir: string): void;
  /** Create `path` exclusively with `bytes`; with `mtime`, backdated on the open file. */
  writeNew(path: string, bytes: Uint8Array, mtime?: Date): void;
  /** `rename(2)`. */
  rename(from: string, to: string): void;
  /** `unlink(2)`: removes a link itself, never its target. */
  unlink(path: string): void;
  /** Names of the regular files (not links, FIFOs, devices, directories) in `dir`. */
  files(dir: string): string[];
  /** Whether `e` says the path does not exist. */
  isNotFound(e: unknown): boolean;
}

const denoFs = (): FileSystem => ({
  lstat(path) {
    const i = Deno.lstatSync(path);
    return {
      isFile: i.isFile,
      isDirectory: i.isDirectory,
      isSymlink: i.isSymlink,
      isFifo: i.isFifo === true,
      isDevice: i.isCharDevice === true || i.isBlockDevice === true,
      isSocket: i.isSocket === true,
      size: i.size,
      mtime: i.mtime,
    };
  },
  mkdirp: (dir) => Deno.mkdirSync(dir, { recursive: true }),
  writeNew(path, bytes, mtime) {
    if (mtime === undefined) {
      Deno.writeFileSync(path, bytes, { createNew: true });
      return;
    }
    const file = Deno.openSync(path, { write: true, createNew: true });
    try {
      for (let n = 0; n < bytes.length;) n += file.writeSync(bytes.subarray(n));
      // On the open file: no path to swap in between.
      file.utimeSync(new Date(), mtime);
    } finally {
      file.close();
    }
  },
  rename: (from, to) => Deno.renameSync(from, to),
  unlink: (path) => Deno.removeSync(path),
  files(dir) {
    const out: string[] = [];
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile) out.push(entry.name);
    }
    return out;
  },
  isNotFound: (e) => e instanceof Deno.errors.NotFound,
});

const nodeFs = (): FileSystem => ({
  lstat(path) {
    const i = lstatSync(path);
    return {
      isFile: i.isFile(),
      isDirectory: i.isDirectory(),
      isSymlink: i.isSymbolicLink(),
      isFifo: i.isFIFO(),
      isDevice: i.isCharacterDevice() || i.isBlockDevice(),
      isSocket: i.isSocket(),
      size: i.size,
      mtime: i.mtime,
    };
  },
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  writeNew(path, bytes, mtime) {
    if (mtime === undefined) {
      writeFileSync(path, bytes, { flag: "wx" });
      return;
    }
    const fd = openSync(path, "wx");
    try {
      for (let n = 0; n < bytes.length;) {
        n += writeSync(fd, bytes, n, bytes.length - n);
      }
      futimesSync(fd, new Date(), mtime);
    } finally {
      closeSync(fd);
    }
  },
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  files: (dir) =>
    readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile()).map((
      d,
    ) => d.name),
  isNotFound: (e) => (e as { code?: string })?.code === "ENOENT",
});

/**
 * The file system of this runtime: Deno's calls when there is a `Deno`
 * global, `node:fs` otherwise.
 *
 * @param runtime Force one (tests); by default the one this runtime has.
 * @returns The calls.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { fileSystem } from "./file_fs.ts";
 * ok(fileSystem("node").isNotFound({ code: "ENOENT" }));
 * ```
 */
export function fileSystem(runtime?: "deno" | "node"): FileSystem {
  const deno = runtime === undefined
    ? typeof (globalThis as { Deno?: unknown }).Deno === "object"
    : runtime === "deno";
  return deno ? denoFs() : nodeFs();
}
