/** `import … from '../data'` works too; the API lives in ./dataset. */
export * from './dataset';
