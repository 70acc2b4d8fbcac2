/**
 * The statechart layout library, as a full `npm:` specifier, like
 * `src/deps.ts`: `@dagrejs/dagre` (a layered graph layout, 49 KB minified
 * with its graph library), used by `src/diagram/layout.ts` for the
 * inspector's charts and `deno task viz`. Its own file so that the browser
 * build (`mod_browser.ts`), which draws no laid-out charts, does not carry
 * it: the package is not marked free of side effects, so a bundler keeps
 * it once it is imported at all.
 *
 * @module
 */
export {
  Graph as DagreGraph,
  layout as dagreLayout,
} from "npm:@dagrejs/dagre@^3.1.4";
