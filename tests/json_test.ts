import { assertStrictEquals } from "./deps.ts";
import { pythonJson } from "../src/json.ts";

Deno.test("pythonJson() writes what Python's json.dumps writes", () => {
  assertStrictEquals(
    pythonJson({
      data: "Y291Y291",
      type: "text/plain",
      cid: "c",
      max_age: 86400,
    }),
    '{"data": "Y291Y291", "type": "text/plain", "cid": "c", "max_age": 86400}',
  );
  assertStrictEquals(
    pythonJson({ a: null, b: [1, true, "x"], c: {} }),
    '{"a": null, "b": [1, true, "x"], "c": {}}',
  );
  // ensure_ascii: non-ASCII (and DEL) escaped as lowercase \uXXXX.
  assertStrictEquals(pythonJson("é\u007f☃"), '"\\u00e9\\u007f\\u2603"');
  assertStrictEquals(pythonJson('q"\\\n'), '"q\\"\\\\\\n"');
});
