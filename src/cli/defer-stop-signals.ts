/**
 * Runs `fn` with SIGINT and SIGTERM held back: a signal asks it to stop at its next safe point
 * (`stopRequested`), instead of killing the process in the middle of a step (a migration on MySQL,
 * whose DDL commits as it goes, would be left half applied until a later run finished it).
 * Afterwards the signals are the process's again. `signal` says whether one came; the caller then
 * stops as it would have, and the exit code is the one a shell reports for a process the signal ended.
 */
export async function withStopSignalsDeferred<T>(
  fn: (stopRequested: () => boolean) => Promise<T>,
  log: (message: string) => void,
): Promise<{ value: T; signal: NodeJS.Signals | undefined }> {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received === undefined) log(`${signal}: stopping after the migration step under way`);
    received = signal;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const value = await fn(() => received !== undefined);
    return { value, signal: received };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // 128 + the signal's number, as a shell reports a process the signal ended.
    if (received !== undefined) process.exitCode = received === "SIGINT" ? 130 : 143;
  }
}
