/** The Emscripten pthread worker script of the threaded wasm build, shipped by tfjs as a JS string. */
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  export const wasmWorkerContents: string;
}
