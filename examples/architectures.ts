import * as tf from '@tensorflow/tfjs';

/**
 * The two example architectures, built with seeded initialisers so `npm run train-examples` is repeatable.
 * Both take 28×28×1 MNIST digits and end in Dense(10, softmax).
 */

function he(seed: number): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed });
}

function convBnRelu(x: tf.SymbolicTensor, filters: number, stride: number, name: string, seed: number): tf.SymbolicTensor {
  const c = tf.layers.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false, kernelInitializer: he(seed), name: `${name}_conv` }).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(c) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_relu` }).apply(b) as tf.SymbolicTensor;
}

/** A basic residual block: conv-bn-relu-conv-bn + shortcut (1×1 conv + BN when the shape changes), then ReLU. */
function basicBlock(x: tf.SymbolicTensor, filters: number, stride: number, name: string, seed: number): tf.SymbolicTensor {
  const inChannels = x.shape[3]!;
  const h = convBnRelu(x, filters, stride, `${name}_1`, seed);
  const c2 = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: he(seed + 1), name: `${name}_2_conv` }).apply(h) as tf.SymbolicTensor;
  const b2 = tf.layers.batchNormalization({ name: `${name}_2_bn` }).apply(c2) as tf.SymbolicTensor;
  let shortcut = x;
  if (stride !== 1 || inChannels !== filters) {
    const sc = tf.layers.conv2d({ filters, kernelSize: 1, strides: stride, useBias: false, kernelInitializer: he(seed + 2), name: `${name}_short_conv` }).apply(x) as tf.SymbolicTensor;
    shortcut = tf.layers.batchNormalization({ name: `${name}_short_bn` }).apply(sc) as tf.SymbolicTensor;
  }
  const sum = tf.layers.add({ name: `${name}_add` }).apply([b2, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as tf.SymbolicTensor;
}

/** A small ResNet: stem, three stages of `blocksPerStage` basic blocks (widths w, 2w, 4w; stride 2 at stages 2 and 3), GAP, Dense. */
export function buildResNet(opts: { width?: number; blocksPerStage?: number; seed?: number; name?: string } = {}): tf.LayersModel {
  const width = opts.width ?? 8;
  const blocks = opts.blocksPerStage ?? 2;
  const seed = opts.seed ?? 1;
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  let x = convBnRelu(input, width, 1, 'stem', seed);
  let s = seed * 100;
  for (let stage = 0; stage < 3; stage++) {
    for (let b = 0; b < blocks; b++) {
      x = basicBlock(x, width * 2 ** stage, stage > 0 && b === 0 ? 2 : 1, `s${stage + 1}b${b + 1}`, (s += 10));
    }
  }
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 7 }), name: 'classifier' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: opts.name ?? 'resnet_mnist' });
}

/** A plain VGG-style stack with BatchNorm: [w, w] pool [2w, 2w] pool [4w], Flatten, Dense. */
export function buildVgg(opts: { width?: number; seed?: number } = {}): tf.LayersModel {
  const width = opts.width ?? 16;
  const seed = opts.seed ?? 1;
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  let x = convBnRelu(input, width, 1, 'conv1', seed);
  x = convBnRelu(x, width, 1, 'conv2', seed + 1);
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as tf.SymbolicTensor;
  x = convBnRelu(x, width * 2, 1, 'conv3', seed + 2);
  x = convBnRelu(x, width * 2, 1, 'conv4', seed + 3);
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(x) as tf.SymbolicTensor;
  x = convBnRelu(x, width * 4, 1, 'conv5', seed + 4);
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool3' }).apply(x) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const drop = tf.layers.dropout({ rate: 0.25, seed, name: 'dropout' }).apply(flat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 7 }), name: 'classifier' }).apply(drop) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'vgg_mnist' });
}
