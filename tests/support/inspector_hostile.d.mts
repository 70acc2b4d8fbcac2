/** Types of inspector_hostile.mjs for Deno's check. */
export function hostileInspectorChecks(api: {
  // deno-lint-ignore no-explicit-any
  createInspector: (options?: any) => unknown;
  // deno-lint-ignore no-explicit-any
  createClient: (options: any) => unknown;
  WebSocket: unknown;
}): Promise<string[]>;
