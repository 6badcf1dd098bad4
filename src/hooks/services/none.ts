/** `none`: no supervisor. Stopping and starting do nothing; every status is unknown. */
import type { ServiceManager, ServiceStatus } from './types.js';

export class NoServiceManager implements ServiceManager {
  readonly kind = 'none' as const;
  async status(_name: string): Promise<ServiceStatus> {
    return { state: 'unknown', detail: 'no service manager' };
  }
  async stop(): Promise<void> {}
  async start(): Promise<void> {}
  async reload(): Promise<void> {}
}
