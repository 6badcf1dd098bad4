/** The crash harness's fault injection lives in fs/ so every layer (txn, repo upgrade) can name its kill points. */
export { crashPoint } from '../fs/crash-point.js';
