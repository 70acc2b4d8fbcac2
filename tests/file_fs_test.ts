/**
 * The two file systems of the file storage (`actors/storage/file_fs.ts`):
 * Deno's calls and `node:fs` (what Node and Bun use) behave the same on
 * what the storage relies on: exclusive create, backdated mtime, lstat that
 * never follows a link, unlink of the link itself, only regular files
 * listed, ENOENT recognised.
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { fileSystem } from "../actors/storage/file_fs.ts";

for (const runtime of ["deno", "node"] as const) {
  Deno.test(`fileSystem("${runtime}") does what the file storage relies on`, async () => {
    const fs = fileSystem(runtime);
    const dir = await Deno.makeTempDir();
    try {
      fs.mkdirp(`${dir}/a/b`);
      assert(fs.lstat(`${dir}/a/b`).isDirectory);
      const bytes = new TextEncoder().encode("{}");
      fs.writeNew(`${dir}/x`, bytes);
      let refused = false;
      try {
        fs.writeNew(`${dir}/x`, bytes);
      } catch {
        refused = true;
      }
      assert(refused, "an existing file is not overwritten");
      // a planted link is not written through
      await Deno.writeTextFile(`${dir}/target`, "secret");
      await Deno.symlink(`${dir}/target`, `${dir}/link`);
      assert(
        (() => {
          try {
            fs.writeNew(`${dir}/link`, bytes);
            return false;
          } catch {
            return true;
          }
        })(),
      );
      assertStrictEquals(await Deno.readTextFile(`${dir}/target`), "secret");
      const old = new Date(Date.UTC(2020, 0, 1));
      fs.writeNew(`${dir}/y`, bytes, old);
      const info = fs.lstat(`${dir}/y`);
      assertStrictEquals(info.mtime?.getTime(), old.getTime());
      assertStrictEquals(info.size, 2);
      assert(info.isFile && !info.isSymlink);
      assert(fs.lstat(`${dir}/link`).isSymlink);
      assert(!fs.lstat(`${dir}/link`).isFile);
      await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
      assert(fs.lstat(`${dir}/fifo`).isFifo);
      assertEquals(fs.files(dir).sort(), ["target", "x", "y"]);
      fs.rename(`${dir}/y`, `${dir}/z`);
      fs.unlink(`${dir}/link`);
      assertStrictEquals(await Deno.readTextFile(`${dir}/target`), "secret");
      assertEquals(fs.files(dir).sort(), ["target", "x", "z"]);
      let notFound: unknown;
      try {
        fs.lstat(`${dir}/nothing`);
      } catch (e) {
        notFound = e;
      }
      assert(fs.isNotFound(notFound));
      assert(!fs.isNotFound(new Error("other")));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
