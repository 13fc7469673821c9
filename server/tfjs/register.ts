/**
 * Installs our training kernels on the `wasm` backend, and gradients for FusedBatchNorm, Mean and Sum (all backends).
 * Idempotent: a kernel already ours is left alone; a stock one is captured (so ours can delegate to it),
 * unregistered, then replaced.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv-backprop';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop';
import { fusedBatchNormConfig, fusedBatchNormGradConfig } from './batchnorm';
import { makeBatchMatMulConfig } from './matmul';
import { makeIdentityConfig } from './identity';
import { makeReduceConfigs, meanGradConfig, sumGradConfig } from './reduce';
import { makeCastConfig, maxPoolGradConfig } from './pool-grad';
import { batchNormTrainConfig, batchNormTrainGradConfig, batchNormTrainGradient } from './batchnorm-train';
import { patchBatchNormalization } from './layers-batchnorm';
import { captureStock } from './wasm-ops';
import { reluClipGradConfig } from './relu-clip-grad';

let matMulConfig: KernelConfig | undefined;
let identityConfig: KernelConfig | undefined;
let reduceConfigs: KernelConfig[] | undefined;
let castConfig: KernelConfig | undefined;

function installKernel(config: KernelConfig): void {
  const current = tf.getKernel(config.kernelName, 'wasm') as KernelConfig | undefined;
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current !== undefined) {
    captureStock(config.kernelName);
    tf.unregisterKernel(config.kernelName, 'wasm');
  }
  tf.registerKernel(config);
}

/** Our kernel configs, in installation order (BatchMatMul is built lazily: it wraps the stock kernel). */
function fastConfigs(): KernelConfig[] {
  // The stock BatchMatMul, Identity, Cast, Sum and Mean are captured before ours replace them: ours delegate to them.
  matMulConfig ??= makeBatchMatMulConfig();
  identityConfig ??= makeIdentityConfig();
  reduceConfigs ??= makeReduceConfigs();
  castConfig ??= makeCastConfig();
  const configs = [
    conv2DBackpropFilterConfig, conv2DBackpropInputConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig,
    fusedBatchNormConfig, maxPoolGradConfig, batchNormTrainConfig, batchNormTrainGradConfig, reluClipGradConfig,
  ];
  for (const c of [matMulConfig, identityConfig, castConfig, ...reduceConfigs]) if (c !== undefined) configs.push(c);
  return configs;
}

/**
 * Registers the fast wasm kernels, the FusedBatchNorm, Mean and Sum gradients, and the fused training-mode
 * BatchNormalization layer path (wasm only). Safe to call repeatedly.
 */
export function registerFastKernels(): void {
  for (const config of fastConfigs()) installKernel(config);
  for (const g of [fusedBatchNormGradConfig, meanGradConfig, sumGradConfig, batchNormTrainGradient]) {
    if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
  }
  patchBatchNormalization();
}

/** Names of the wasm kernels that are currently ours. */
export function fastKernelNames(): string[] {
  return fastConfigs()
    .filter((c) => (tf.getKernel(c.kernelName, 'wasm') as KernelConfig | undefined)?.kernelFunc === c.kernelFunc)
    .map((c) => c.kernelName);
}
