/** Multithreaded wasm in Node: not enabled yet (see the report in this file once explored). */
export function prepareWasmThreads(_dir: string, _threads: number): number {
  return 1;
}
