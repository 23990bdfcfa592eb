// Preload (`node --import`) for Portkey, which listens on every interface and has no host flag:
// every TCP listen in this process binds 127.0.0.1, so nothing is exposed beyond this machine.
// Prints `[bench] listening on <address>:<port>` on stderr for the bench to check.
import net from "node:net";

const HOST = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (
    first !== null &&
    typeof first === "object" &&
    !("path" in first) &&
    !("fd" in first) &&
    !("_handle" in first) &&
    !("handle" in first)
  ) {
    args[0] = { ...first, host: HOST };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const rest = args.slice(1);
    // listen(port, [host], [backlog], [callback]): drop a given host (or a null/undefined one).
    if (typeof rest[0] === "string" || rest[0] === undefined || rest[0] === null) rest.shift();
    args = [Number(first), HOST, ...rest];
  } else if (first === undefined || typeof first === "function") {
    args = [0, HOST, ...args.filter((a) => a !== undefined)];
  }
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object")
      process.stderr.write(`[bench] listening on ${address.address}:${address.port}\n`);
  });
  return listen.apply(this, args);
};
