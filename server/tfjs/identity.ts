/**
 * Identity for the `wasm` backend that shares the input's buffer (one more reference) instead of copying it.
 *
 * The engine clones every tensor it saves for the backward pass (`saveTensorsForBackwardMode`), and the stock wasm
 * Identity copies the data: a training step made hundreds of full-size copies, and the saved activations took
 * twice their size on the 32-bit heap. Sharing is what the `cpu` backend's Identity does and is safe for the same
 * reason: tfjs never writes into an existing buffer (kernels write fresh outputs; Variable.assign swaps buffers).
 * Strings keep the stock path.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { captureStock } from './wasm-ops';

export function makeIdentityConfig(): KernelConfig | undefined {
  const stock = captureStock(tf.Identity);
  if (stock === undefined) return undefined;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock(args);
    (args.backend as KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
  return { kernelName: tf.Identity, backendName: 'wasm', kernelFunc };
}
