/**
 * How the depot lets go of its connections when it is told to stop.
 *
 * Node's `server.close()` ends the connections it counts as idle, but a
 * connection a client opened and has not yet sent a request on — browsers
 * open one ahead of the page's next request — counts as a request under way
 * (its headers timeout runs), so it stayed open until that timeout and the
 * next connections check ended it: `zpkg serve` with a catalogue page open in
 * Chromium took 70–83 s to exit after SIGTERM, where a service manager waits
 * a few seconds before it kills. This ends every connection with no request
 * in flight at once, every other one as soon as its response is sent, and
 * whatever is still open `graceMs` later (a client cut mid-download resumes).
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';

export interface Connections {
  /** Begins the shutdown: call it together with the server's close. */
  drain(graceMs: number): void;
}

export function trackConnections(server: HttpServer): Connections {
  /** Open sockets and how many of their requests are in flight. */
  const inFlight = new Map<Socket, number>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (inFlight.has(socket)) inFlight.set(socket, left);
      // end(), not destroy(): what the response wrote is flushed first.
      if (draining && left === 0) socket.end();
    });
  });
  return {
    drain(graceMs: number): void {
      if (draining) return;
      draining = true;
      for (const [socket, n] of inFlight) if (n === 0) socket.end();
      const timer = setTimeout(() => {
        for (const socket of inFlight.keys()) socket.destroy();
      }, graceMs);
      timer.unref();
    },
  };
}
