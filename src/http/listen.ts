import type { Switchyard } from "../app.js";
import type { HttpApp } from "./http-app.js";
import { createHttpServer } from "./server.js";

export interface RunningServer {
  app: HttpApp;
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  /**
   * Graceful stop: refuses new requests (503), lets in-flight ones finish within the configured
   * timeout, then closes whatever is left and the database pool. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/** Builds the HTTP app for this Switchyard and listens on the configured host and port. */
export async function startHttpServer(sy: Switchyard): Promise<RunningServer> {
  const app = await createHttpServer(sy);
  return listen(app, sy);
}

/** Listens with an app already built (tests add routes first); stop() also closes the Switchyard. */
export async function listen(app: HttpApp, sy: Switchyard): Promise<RunningServer> {
  await app.listen({ port: sy.config.port, host: sy.config.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : sy.config.port;
  const host = sy.config.host.includes(":") ? `[${sy.config.host}]` : sy.config.host;

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), sy.config.shutdownTimeoutMs);
    });
    // A keep-alive connection whose request finishes after close() began stays open until the
    // client hangs up; sweeping idle connections lets close() complete as soon as the work does.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
    const outcome = await Promise.race([app.close().then(() => "closed" as const), deadline]);
    clearInterval(sweep);
    clearTimeout(timer);
    if (outcome === "timeout") {
      sy.logger.warn(
        { timeout_ms: sy.config.shutdownTimeoutMs },
        "requests still running at shutdown; closing them",
      );
      app.server.closeAllConnections();
    }
    await sy.close();
  };

  return {
    app,
    url: `http://${host}:${port}`,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
