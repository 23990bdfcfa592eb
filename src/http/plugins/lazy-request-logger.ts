import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";
import pino, { type Bindings, type ChildLoggerOptions } from "pino";

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * The logger of one request, made into pino's child only when a line at an enabled level is
 * written. Fastify gives every request a child (to carry its request id), and pino's child() copies
 * and redacts the bindings: a few microseconds and kilobytes per request, paid on the gateway's hot
 * path by requests that never log (at level warn, nearly all of them).
 */
class LazyRequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    // A route's own logLevel comes as the child's option, and applies before the child exists.
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  private write(level: Level, obj: unknown, msg: string | undefined, args: unknown[]): void {
    const values = pino.levels.values;
    const threshold = values[this.level];
    if (threshold !== undefined && (values[level] ?? 0) < threshold) return;
    if (msg === undefined) this.real[level](obj);
    else this.real[level](obj, msg, ...args);
  }

  fatal(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("fatal", obj, msg, args);
  }
  error(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("error", obj, msg, args);
  }
  warn(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("warn", obj, msg, args);
  }
  info(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("info", obj, msg, args);
  }
  debug(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("debug", obj, msg, args);
  }
  trace(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.write("trace", obj, msg, args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (
  logger,
  bindings,
  options,
) => new LazyRequestLogger(logger, bindings, options);
