import net from "node:net";

/**
 * A TCP forwarder in front of a database server, so a test can make the database "go away" (close
 * the listener and cut every live connection) and come back on the same port, without touching the
 * real server that other tests share.
 */
export interface TcpProxy {
  port: number;
  /** Stops accepting and destroys every forwarded connection. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Cuts every forwarded connection (without passing the bytes on) the first time a client sends
   * this text: the database "goes away" in the middle of a chosen query, after the ones before it.
   */
  cutWhenClientSends?: string;
}

export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("close", () => sockets.delete(sock));
          sock.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        const trigger = options.cutWhenClientSends;
        if (trigger === undefined) {
          client.pipe(upstream).pipe(client);
          return;
        }
        upstream.pipe(client);
        client.on("data", (chunk: Buffer) => {
          if (chunk.includes(trigger)) void cut();
          else upstream.write(chunk);
        });
        client.on("end", () => upstream.end());
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        server = s;
        const address = s.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const port = await listen(0);
  return {
    port,
    cut,
    restore: async () => {
      if (!server) await listen(port);
    },
    close: cut,
  };
}
