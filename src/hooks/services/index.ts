/** Service managers: the interface, the adapters, selection. */
export type { ServiceKind, ServiceManager, ServiceState, ServiceStatus, StopOutcome, WaitOptions } from './types.js';
export { SERVICE_KINDS } from './types.js';
export { restartService } from './common.js';
export { ZinitManager, ZINIT_SOCKET, zinitRequest } from './zinit.js';
export type { ZinitOptions, ZinitReply } from './zinit.js';
export { RunitManager } from './runit.js';
export type { RunitOptions } from './runit.js';
export { S6Manager } from './s6.js';
export type { S6Options } from './s6.js';
export { SystemdManager } from './systemd.js';
export type { SystemdOptions } from './systemd.js';
export { NoServiceManager } from './none.js';
export { createServiceManager, detectServiceKind, selectServiceManager } from './detect.js';
export type { ServiceConfig } from './detect.js';
