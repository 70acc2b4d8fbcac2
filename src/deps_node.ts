/**
 * Third-party imports that only the Node/Bun side of the library loads, as
 * full `npm:` specifiers, like `src/deps.ts`. Nothing reachable from
 * `mod_browser.ts` or `mod.ts` imports this file; the live inspector of
 * Node and Bun (`actors/inspector/server_node.ts`) loads it lazily.
 *
 * @module
 */

/**
 * npm `ws`, for the WebSocket upgrade of the inspector's `node:http`
 * server: Node has no WebSocket server of its own, and `ws` is the
 * well-kept one (Bun ships a compatible `ws` built in).
 */
export { WebSocketServer } from "npm:ws@^8.23.0";
