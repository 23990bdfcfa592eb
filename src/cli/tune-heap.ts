import v8 from "node:v8";

/**
 * V8's heap settings for a gateway process, applied by `serve` before it starts (turned off with
 * SWITCHYARD_HEAP_TUNING=false, say to pass your own flags).
 *
 * A gateway allocates per request and keeps almost nothing: nearly everything a call makes is
 * garbage a few milliseconds later. V8's defaults suit programs that keep what they allocate: a
 * 16 MB young generation, and an old generation allowed to grow to several times what is live
 * before it is collected. Measured with `npm run bench:gateway` on 2 cores, that let Switchyard's
 * memory climb from about 140 MB idle to 250-330 MB under load. A smaller young generation and an
 * old generation collected once it is 30% over what is live keep it near 160-180 MB, for about
 * 5-10% more CPU in V8's background GC threads (the request thread's time per call is unchanged).
 */
export const GATEWAY_HEAP_FLAGS = ["--max-semi-space-size=8", "--heap-growing-percent=30"] as const;

export function tuneHeapForGateway(): void {
  for (const flag of GATEWAY_HEAP_FLAGS) v8.setFlagsFromString(flag);
}
