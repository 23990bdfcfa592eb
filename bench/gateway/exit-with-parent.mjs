// Preload (`node --import`) for the bench's children that are not the bench's own code (Switchyard,
// Portkey): exit when the bench that started this process is gone, even if it was killed without
// cleaning up, so no server outlives a run.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, "SIGTERM");
}, 1000).unref();
