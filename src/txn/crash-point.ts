/** The crash harness's fault injection lives in fs/ so every layer (txn, repo upgrade) can name its kill points. */
export { crashPoint, failPoint } from '../fs/crash-point.js';
